// The <sysexits.h> exit statuses a delivery command may return, each with the enhanced
// status code and text Postfix gives it; any other status is "unknown mail system error N"
// with 5.3.0. Called by command-status.ts. Models src/global/sys_exits.c.

export interface SysExitDetail {
  dsn: string;
  text: string;
}

export const EX_TEMPFAIL = 75;
export const EX_SOFTWARE = 70;
export const EX_OSERR = 71;

const SYS_EXITS: Readonly<Record<number, SysExitDetail>> = {
  64: { dsn: '5.3.0', text: 'command line usage error' },
  65: { dsn: '5.6.0', text: 'data format error' },
  66: { dsn: '5.3.0', text: 'cannot open input' },
  67: { dsn: '5.1.1', text: 'user unknown' },
  68: { dsn: '5.1.2', text: 'host name unknown' },
  69: { dsn: '5.3.0', text: 'service unavailable' },
  70: { dsn: '5.3.0', text: 'internal software error' },
  71: { dsn: '4.3.0', text: 'system resource problem' },
  72: { dsn: '5.3.0', text: 'critical OS file missing' },
  73: { dsn: '5.2.0', text: "can't create user output file" },
  74: { dsn: '5.3.0', text: 'input/output error' },
  75: { dsn: '4.3.0', text: 'temporary failure' },
  76: { dsn: '5.5.0', text: 'remote error in protocol' },
  77: { dsn: '5.7.0', text: 'permission denied' },
  78: { dsn: '5.3.5', text: 'local configuration error' },
};

/** SYS_EXITS_CODE(): whether the status is one of <sysexits.h>. */
export function isSysExitCode(status: number): boolean {
  return status >= 64 && status <= 78;
}

/** sys_exits_detail(). */
export function sysExitDetail(status: number): SysExitDetail {
  return SYS_EXITS[status] ?? { dsn: '5.3.0', text: `unknown mail system error ${status}` };
}
