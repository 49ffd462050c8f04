// DSN status handling for smtpd's replies: split an optional "X.Y.Z " status off a text
// (access table values, error transport nexthops, RBL replies), and adjust an address
// status to the class of address it concerns (a recipient's 5.1.1 stays 5.1.1; the same for
// a sender becomes 5.1.7...). Called by the restrictions. Models global/dsn_util.c
// (dsn_split) and src/smtpd/smtpd_dsn_fix.c.

/** dsn_split(): "5.7.1 text" -> {dsn: '5.7.1', text}; without a status, the default. */
export function dsnSplit(defaultDsn: string, text: string): { dsn: string; text: string } {
  const match = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)/.exec(text);
  if (match === null) return { dsn: defaultDsn, text };
  return { dsn: match[1] as string, text: text.slice(match[0].length) };
}

/** Replacement statuses by the last digit of X.1.Y: [sender, recipient]. */
const ADDRESS_STATUS: Readonly<Record<string, [string, string]>> = {
  1: ['4.1.7', '4.1.1'],
  2: ['4.1.8', '4.1.2'],
  3: ['4.1.7', '4.1.3'],
  4: ['4.1.7', '4.1.4'],
  5: ['4.1.0', '4.1.5'],
  6: ['4.1.7', '4.1.6'],
  7: ['4.1.7', '4.1.3'],
  8: ['4.1.8', '4.1.2'],
};

/** smtpd_dsn_fix(): an X.1.Y status becomes the sender's or the recipient's form; other
 *  classes get 4.0.0. The first digit is set from the reply code later. */
export function smtpdDsnFix(status: string, replyClass: string): string {
  const match = /^\d\.1\.(\d+)$/.exec(status);
  if (match === null) return status;
  const pair = ADDRESS_STATUS[match[1] as string] ?? ['4.1.0', '4.1.0'];
  if (replyClass === 'Sender address') return pair[0];
  if (replyClass === 'Recipient address') return pair[1];
  return '4.0.0';
}
