// Server replies as the SMTP client sees them: the lines of one (possibly multi-line)
// reply folded into a code, an enhanced status code and a text. Non-printable bytes are
// shown as '?', a reply line longer than line_length_limit is cut, and a multi-line reply
// stops growing past the same limit. The enhanced code is taken from the text only when
// its class matches the reply code's first digit; otherwise it is made up (2.0.0, 4.0.0,
// 5.0.0), and a reply that is not 2xx/4xx/5xx gets 5.5.0.
// Called by stream.ts (line assembly) and protocol.ts. Trusts nothing from the server.
// Models smtp_chat_resp() in src/smtp/smtp_chat.c and dsn_valid() in src/global/dsn_util.c.

export interface ServerReply {
  /** The three-digit code, or 0 when the reply was malformed. */
  code: number;
  /** The enhanced status code ("5.1.1"), sanitized as above. */
  dsn: string;
  /** The reply lines joined with "\n", as received (after '?' censoring). */
  text: string;
  /** True when some line was not a well-formed reply line (a protocol error). */
  malformed: boolean;
}

/** Length of a valid "d.ddd.ddd" enhanced code at the start of `text`, or 0. */
export function dsnLength(text: string): number {
  const match = /^([245])\.(\d{1,3})\.(\d{1,3})(?=$|[ \t])/.exec(text);
  return match === null ? 0 : match[0].length;
}

/** printable(): every byte outside printable ASCII becomes '?'. */
export function censor(line: string): string {
  for (let index = 0; index < line.length; index++) {
    const code = line.charCodeAt(index);
    if (code < 0x20 || code > 0x7e) return line.replace(/[^\x20-\x7e]/g, '?');
  }
  return line;
}

/** How many ASCII digits `line` starts with (the regular expressions' \d), up to four. */
function leadingDigits(line: string): number {
  let count = 0;
  for (; count < 4 && count < line.length; count++) {
    const code = line.charCodeAt(count);
    if (code < 0x30 || code > 0x39) break;
  }
  return count;
}

/** Whether a line continues the reply ("250-..."), ends it ("250 ..."/"250"), or is garbage. */
export function lineKind(line: string): 'continue' | 'last' | 'garbage' {
  if (leadingDigits(line) !== 3) return 'garbage';
  const next = line.charAt(3);
  if (next === '-') return 'continue';
  if (next === ' ' || next === '') return 'last';
  return 'garbage';
}

/** Builds the reply from the text gathered so far (`lines`, bounded) and its last line. */
export function finishReply(lines: readonly string[], last: string, malformed: boolean): ServerReply {
  const text = lines.length === 1 ? lines[0] as string : lines.join('\n');
  const threeDigits = leadingDigits(last) === 3;
  if (!threeDigits) return { code: 0, dsn: '5.5.0', text, malformed: true };
  const code = Number(last.slice(0, 3));
  const first = last.charAt(0);
  let dsn = '5.5.0';
  if ('245'.includes(first)) {
    let from = 4;
    while (from < last.length && last.charCodeAt(from) === 0x20) from++;
    const detail = last.slice(from);
    const length = dsnLength(detail);
    dsn = length > 0 && detail.charAt(0) === first ? detail.slice(0, length) : `${first}.0.0`;
  }
  return { code, dsn, text, malformed };
}

/** The reply text on one line, as Postfix's translit(resp->str, "\n", " ") makes it for
 *  log lines and DSN diagnostics. */
export function oneLine(reply: ServerReply): string {
  return reply.text.replace(/\n/g, ' ');
}
