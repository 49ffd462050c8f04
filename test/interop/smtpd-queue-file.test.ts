// Queue file interop for mail received over SMTP: the same SMTP dialogs are sent to a
// private real Postfix 3.7.11 and to mtalab in node real mode, both made from one
// InstanceSpec with `content_filter = retry:4.3.2 filter is away`, so that every message
// stays in deferred/. The real `postcat -v` of each side's deferred file is compared record
// for record after normalising queue ids, times, the client's port and the sizes/offsets
// (the queue id's length differs: Postfix's has inode bits). This is where smtpd's envelope
// attributes (log_ident, rewrite_context, the log_* and client_* records, the DSN records,
// the BODY= encoding, AUTH=) are checked against the real smtpd + cleanup. XFORWARD twice:
// refused with smtpd_authorized_xforward_hosts empty, and (a second pair of instances with
// smtpd_authorized_xforward_hosts = 127.0.0.0/8) accepted, its values in the log_* records,
// log_ident and rewrite_context; an XFORWARD ADDR checked against inet_protocols (ipv4 in
// that pair, all in a third pair: IPv6, IPv4-compatible and IPv4-mapped addresses); and a
// fourth pair whose smtpd_authorized_xforward_hosts names a missing hash: table (EHLO and
// XFORWARD end the session with 421), where smtpd's log lines are compared too. SASL logins
// and IPv6 clients are covered by test/unit/smtpd/stream-attributes.test.ts.
// Prints "smtpd queue files: N/M equal" (the dialogs that leave a queue file on either side)
// and "smtpd dialogs: N/M equal" (every dialog: replies, queue file, log lines where asked). Needs root and the real Postfix. The sides run one
// after the other on the same loopback port; every process is stopped by its pid.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncompleteReply, SmtpLineClient } from './smtp-line-client.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort, listTree, RealPostfixInstance, type InstanceSpec } from './real-instance.ts';
import { MtalabInstance } from './mtalab-instance.ts';
import { interopRequirements } from './real-postfix.ts';
import { realPostcat } from './pipeline-compare.ts';
import { normaliseText } from './pipeline-normalise.ts';

const ADDRESS = '127.0.0.1';
/** Upper bound on one reply's wait. */
const REPLY_TIMEOUT_MS = 20_000;

const available = interopRequirements({ root: true, paths: ['/usr/sbin/postfix', '/usr/sbin/postcat'] });
const skip = available ? false : 'needs root and the real Postfix';

/** One SMTP dialog: the commands (DATA's content follows "DATA" as one string). */
interface Dialog {
  name: string;
  commands: string[];
  /** The client's own address (default 127.0.0.1, an inet interface of both servers). */
  from?: string;
  /** Compare smtpd's log lines of this session too. */
  log?: boolean;
}

const MESSAGE = 'Subject: queue file\r\nFrom: <sender@example.test>\r\n\r\nOne line of text.\r\n.';

const plainDialogs: Dialog[] = [
  {
    name: 'EHLO, one recipient, no ESMTP parameters',
    commands: ['EHLO client.example.test', 'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT'],
  },
  {
    name: 'no HELO at all: protocol SMTP, no helo attributes',
    commands: ['MAIL FROM:<sender@example.test>', 'RCPT TO:<root@localhost>', 'DATA', MESSAGE, 'QUIT'],
  },
  {
    name: 'HELO, null sender, two recipients, one bare address',
    commands: ['HELO helo.example.test', 'MAIL FROM:<>', 'RCPT TO:<postmaster@example.test>', 'RCPT TO:root@example.test', 'DATA', MESSAGE, 'QUIT'],
  },
  {
    name: 'DSN: RET, ENVID, NOTIFY, ORCPT',
    commands: [
      'EHLO client.example.test',
      'MAIL FROM:<sender@example.test> RET=HDRS ENVID=env+2Bid-42',
      'RCPT TO:<postmaster@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;first+2Boriginal@example.test',
      'RCPT TO:<root@example.test> NOTIFY=NEVER',
      'RCPT TO:<MAILER-DAEMON@example.test> ORCPT=rfc822;third@example.test',
      'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'BODY=8BITMIME, RET=FULL and AUTH= without a login',
    commands: [
      'EHLO client.example.test',
      'MAIL FROM:<sender@example.test> BODY=8BITMIME RET=FULL AUTH=someone+40example.test',
      'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'a client outside inet_interfaces with no name: unknown, rewrite_context=remote',
    from: '127.0.0.2',
    commands: ['EHLO outside.example.test', 'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT'],
  },
  {
    name: 'SMTPUTF8 and an ORCPT of type utf-8',
    commands: [
      'EHLO client.example.test',
      'MAIL FROM:<sender@example.test> SMTPUTF8',
      'RCPT TO:<postmaster@example.test> ORCPT=utf-8;b\\x{E9}b@example.test',
      'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'XFORWARD from a client that smtpd_authorized_xforward_hosts does not list changes nothing',
    commands: [
      'EHLO client.example.test', 'XFORWARD NAME=spoof.example.test ADDR=192.0.2.9 PROTO=ESMTP HELO=spoof.example.test',
      'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'BODY=7BIT and AUTH=<>',
    commands: ['EHLO client.example.test', 'MAIL FROM:<sender@example.test> BODY=7BIT AUTH=<>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT'],
  },
];

/** Run with smtpd_authorized_xforward_hosts = 127.0.0.0/8 on both sides. */
const xforwardDialogs: Dialog[] = [
  {
    name: 'XFORWARD from an authorized client: EHLO keyword, errors, forwarded log_* records',
    commands: [
      'EHLO filter.example.test',
      'XFORWARD NAME=client.remote.test ADDR=192.0.2.9 PORT=4711 PROTO=ESMTP HELO=helo.remote.test',
      'XFORWARD PORT=47a11', 'XFORWARD COLOR=blue', 'XFORWARD ADDR=192.0.2.300',
      'XFORWARD IDENT=UPSTREAM42 SOURCE=LOCAL',
      'MAIL FROM:<sender@example.test>', 'XFORWARD NAME=late.remote.test',
      'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'XFORWARD with [UNAVAILABLE] values and only the name',
    commands: [
      'EHLO filter.example.test',
      'XFORWARD NAME=[UNAVAILABLE] ADDR=[UNAVAILABLE] PROTO=[UNAVAILABLE] HELO=[UNAVAILABLE] IDENT=[UNAVAILABLE] SOURCE=[UNAVAILABLE]',
      'XFORWARD NAME=only-name.remote.test',
      'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'XFORWARD ADDR with inet_protocols = ipv4: IPv6 refused, IPv4-mapped taken as IPv4',
    commands: [
      'EHLO filter.example.test',
      'XFORWARD ADDR=IPv6:2001:db8::9', 'XFORWARD ADDR=IPv6:::192.0.2.8', 'XFORWARD ADDR=2001:db8::9',
      'XFORWARD NAME=mapped.remote.test ADDR=IPv6:::ffff:192.0.2.8',
      'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
];

/** Run with inet_protocols = all and smtpd_authorized_xforward_hosts = 127.0.0.0/8. */
const allFamiliesDialogs: Dialog[] = [
  {
    name: 'XFORWARD ADDR with inet_protocols = all: an IPv6 address in inet_ntop form',
    commands: [
      'EHLO filter.example.test', 'XFORWARD NAME=six.remote.test ADDR=IPv6:2001:DB8:0:0::9 PORT=4711',
      'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'XFORWARD ADDR with inet_protocols = all: IPv4-compatible stays IPv6',
    commands: [
      'EHLO filter.example.test', 'XFORWARD NAME=compat.remote.test ADDR=IPv6:::c000:208',
      'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
  {
    name: 'XFORWARD ADDR with inet_protocols = all: IPv4-mapped becomes IPv4',
    commands: [
      'EHLO filter.example.test', 'XFORWARD NAME=mapped.remote.test ADDR=IPv6:::FFFF:0:1',
      'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT',
    ],
  },
];

/** Run with smtpd_authorized_xforward_hosts naming a hash: table whose file is missing. */
const failingTableDialogs: Dialog[] = [
  {
    name: 'XFORWARD hosts table fails: EHLO ends the session with 421',
    log: true,
    commands: ['EHLO filter.example.test', 'QUIT'],
  },
  {
    name: 'XFORWARD hosts table fails: XFORWARD after HELO ends the session with 421',
    log: true,
    commands: ['HELO filter.example.test', 'XFORWARD NAME=client.remote.test', 'QUIT'],
  },
  {
    name: 'XFORWARD hosts table fails: XFORWARD without attributes is a syntax error first',
    log: true,
    commands: ['XFORWARD', 'HELO filter.example.test', 'MAIL FROM:<sender@example.test>', 'RCPT TO:<postmaster@example.test>', 'DATA', MESSAGE, 'QUIT'],
  },
];

/** Upper bound on the wait for a session's disconnect line in the maillog. */
const DISCONNECT_WAIT_MS = 10_000;
const POLL_MS = 100;

/** Runs a dialog; the transcript of replies and the queue id from "queued as". */
async function runDialog(port: number, dialog: Dialog): Promise<{ transcript: string[]; queueId: string | undefined }> {
  const client = await SmtpLineClient.open(port, { host: ADDRESS, localAddress: dialog.from ?? ADDRESS, replyTimeoutMs: REPLY_TIMEOUT_MS });
  const transcript: string[] = [];
  // A reply cut short by a close or the timeout is recorded as such, not thrown: the two
  // sides' transcripts are compared whole.
  const whole = (reply: Promise<string>): Promise<string> => reply.catch((error: unknown) => {
    if (error instanceof IncompleteReply) return `${error.lines.join('\n')}(no complete reply)`;
    throw error;
  });
  try {
    transcript.push(await whole(client.reply()));
    for (const command of dialog.commands) transcript.push(`>>> ${command.split('\r\n')[0]}`, await whole(client.command(command)));
  } finally {
    client.close();
  }
  const queued = transcript.map((line) => /queued as ([0-9A-Za-z]+)/.exec(line)?.[1]).find((id) => id !== undefined);
  return { transcript, queueId: queued };
}

interface SideInstance {
  directory: string;
  queueDirectory: string;
  start(): Promise<unknown>;
  stop(): Promise<void>;
  remove(): void;
  waitForQueue(): Promise<boolean>;
  maillog(): string[];
}

/** smtpd's lines of the session that starts after line `from`, without the syslog prefix,
 *  from its "connect from" line on (waits, bounded, for its disconnect line). Lines before
 *  it belong to the process, not the session: the real smtpd is spawned on the first
 *  connection and logs its start-up complaints ("error: open database ...") then, mtalab's
 *  opens its tables when the service starts. */
async function sessionLog(instance: SideInstance, from: number): Promise<string> {
  const smtpdLines = (): string[] => instance.maillog().slice(from)
    .map((line) => /\/smtpd\[\d+\]: (.*)$/.exec(line)?.[1]).filter((line): line is string => line !== undefined);
  for (let waited = 0; waited < DISCONNECT_WAIT_MS && !smtpdLines().some((line) => line.startsWith('disconnect from ')); waited += POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const lines = smtpdLines();
  const connect = lines.findIndex((line) => line.startsWith('connect from '));
  return lines.slice(Math.max(connect, 0)).join('\n');
}

/** What one side shows for each dialog: the normalised transcript and postcat -v. */
async function runSide(instance: SideInstance, port: number, dialogs: readonly Dialog[]): Promise<Map<string, string>> {
  const shown = new Map<string, string>();
  try {
    await instance.start();
    for (const dialog of dialogs) {
      const logStart = instance.maillog().length;
      const { transcript, queueId } = await runDialog(port, dialog);
      await instance.waitForQueue();
      const log = dialog.log === true ? `\n[smtpd log]\n${await sessionLog(instance, logStart)}` : '';
      let postcat = '(no queue id)';
      if (queueId !== undefined) {
        const path = listTree(join(instance.queueDirectory, 'deferred')).find((entry) => entry.endsWith(`/${queueId}`) || entry === queueId);
        postcat = path === undefined ? `(${queueId} not in deferred)` : realPostcat(readFileSync(join(instance.queueDirectory, 'deferred', path)));
      }
      const ids = new Map(queueId === undefined ? [] : [[queueId, 'Q1']]);
      const text = normaliseText(`${transcript.join('\n')}\n${postcat}${log}`, { directories: [instance.directory], ids, maskSizes: true })
        .replace(/^((?:log_)?client_port|named_attribute: (?:log_)?client_port)(: +|=)\d+$/gm, '$1$2PORT')
        .replace(/^(named_attribute: (?:log_)?client_port=)\d+$/gm, '$1PORT')
        .replace(/^(message_arrival_time|create_time): .*$/gm, '$1: TIME')
        .replace(/^(named_attribute: create_time=)\d+$/gm, '$1TIME')
        .replace(/(, size=|message_size: +)\w+/g, '$1N');
      shown.set(dialog.name, text);
    }
  } finally {
    try {
      await instance.stop();
    } finally {
      if (process.env.MTALAB_INTEROP_KEEP !== '1') instance.remove();
    }
  }
  return shown;
}

test('smtpd + cleanup write the queue file that the real smtpd + cleanup write', { skip, timeout: 300_000 }, async () => {
  const port = await freeLoopbackPort(ADDRESS);
  const spec: InstanceSpec = {
    smtpdListen: `${ADDRESS}:${port}`,
    mainCf: 'content_filter = retry:4.3.2 filter is away\n',
  };
  const xforwardSpec: InstanceSpec = { ...spec, mainCf: `${spec.mainCf ?? ''}smtpd_authorized_xforward_hosts = 127.0.0.0/8\n` };
  const allFamiliesSpec: InstanceSpec = { ...spec, mainCf: `${xforwardSpec.mainCf ?? ''}inet_protocols = all\n` };
  const failingSpec: InstanceSpec = {
    ...spec, mainCf: `${spec.mainCf ?? ''}smtpd_authorized_xforward_hosts = hash:@DIR@/etc/missing-xforward-hosts\n`,
  };
  const runs: Array<[InstanceSpec, Dialog[]]> = [
    [spec, plainDialogs], [xforwardSpec, xforwardDialogs], [allFamiliesSpec, allFamiliesDialogs], [failingSpec, failingTableDialogs],
  ];
  const real = new Map<string, string>();
  const mtalab = new Map<string, string>();
  for (const [runSpec, runDialogs] of runs) {
    for (const [name, text] of await runSide(RealPostfixInstance.create(runSpec), port, runDialogs)) real.set(name, text);
    for (const [name, text] of await runSide(MtalabInstance.create(runSpec), port, runDialogs)) mtalab.set(name, text);
  }
  const dialogs = runs.flatMap(([, runDialogs]) => runDialogs);
  const differing = dialogs.filter((dialog) => real.get(dialog.name) !== mtalab.get(dialog.name));
  const queued = dialogs.filter((dialog) => [real, mtalab].some((side) => /^\*\*\* ENVELOPE RECORDS/m.test(side.get(dialog.name) ?? '')));
  const queuedEqual = queued.filter((dialog) => real.get(dialog.name) === mtalab.get(dialog.name));
  const lines = [
    `smtpd queue files: ${queuedEqual.length}/${queued.length} equal`,
    `smtpd dialogs: ${dialogs.length - differing.length}/${dialogs.length} equal`,
  ];
  for (const dialog of dialogs) {
    const same = real.get(dialog.name) === mtalab.get(dialog.name);
    if (!same || process.env.MTALAB_INTEROP_VERBOSE === '1') {
      lines.push(`--- ${same ? 'equal' : 'differs'}: ${dialog.name}`, '[real Postfix]', real.get(dialog.name) ?? '', '[mtalab]', mtalab.get(dialog.name) ?? '');
    }
  }
  console.log(lines.join('\n'));
  assert.deepEqual(differing.map((dialog) => dialog.name), []);
});
