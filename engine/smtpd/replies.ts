// The catalogue of smtpd's replies (CONVENTIONS.md rule 5): every reply the server sends is
// a value made here, so tests compare against the same names the protocol core uses.
// A Reply is a code and one or more text lines ("250-PIPELINING" style continuation is made
// when the reply is rendered). Restriction verdicts carry their reply text as Postfix formats
// it ("554 5.7.1 <a>: Relay access denied") in a Reply made by fromText().
// Called by the protocol core (api.ts, commands-*.ts, data.ts) and the restrictions.
// Models the smtpd_chat_reply() texts of src/smtpd/smtpd.c (Postfix 3.7).

export interface Reply {
  /** The three-digit SMTP code. */
  code: number;
  /** Text lines after the code; more than one makes a multi-line reply. */
  lines: string[];
}

const reply = (code: number, text: string): Reply => ({ code, lines: [text] });

/** A complete reply text as Postfix builds it ("550 5.1.1 <a>: Recipient address rejected: ..."). */
export function fromText(text: string): Reply {
  const code = Number.parseInt(text.slice(0, 3), 10);
  return { code, lines: [text.length > 4 ? text.slice(4) : ''] };
}

/** The reply as lines on the wire, without CRLF: "250-first", "250 last". */
export function replyLines(value: Reply): string[] {
  return value.lines.map((line, index) => `${value.code}${index < value.lines.length - 1 ? '-' : ' '}${line}`);
}

/** The reply as one text (for logs and tests): its lines joined by newlines. */
export function replyText(value: Reply): string {
  return replyLines(value).join('\n');
}

export const replies = {
  greeting: (banner: string) => reply(220, banner),
  ehlo: (lines: string[]) => ({ code: 250, lines }),
  helo: (hostname: string) => reply(250, hostname),
  ok: reply(250, '2.0.0 Ok'),
  mailOk: reply(250, '2.1.0 Ok'),
  rcptOk: reply(250, '2.1.5 Ok'),
  bye: reply(221, '2.0.0 Bye'),
  dataGo: reply(354, 'End data with <CR><LF>.<CR><LF>'),
  queued: (queueId: string) => reply(250, `2.0.0 Ok: queued as ${queueId}`),
  chunkOk: (bytes: number) => reply(250, `2.0.0 Ok: ${bytes} bytes`),
  chunkQueued: (bytes: number, queueId: string) => reply(250, `2.0.0 Ok: ${bytes} bytes queued as ${queueId}`),
  vrfyOk: (argument: string) => reply(252, `2.0.0 ${argument}`),

  heloSyntax: reply(501, 'Syntax: HELO hostname'),
  ehloSyntax: reply(501, 'Syntax: EHLO hostname'),
  mailSyntax: reply(501, '5.5.4 Syntax: MAIL FROM:<address>'),
  rcptSyntax: reply(501, '5.5.4 Syntax: RCPT TO:<address>'),
  dataSyntax: reply(501, '5.5.4 Syntax: DATA'),
  rsetSyntax: reply(501, '5.5.4 Syntax: RSET'),
  vrfySyntax: (smtputf8: boolean) => reply(501, `5.5.4 Syntax: VRFY address${smtputf8 ? ' [SMTPUTF8]' : ''}`),
  bdatSyntax: reply(521, '5.5.4 Syntax: BDAT count [LAST]'),
  etrnSyntax: reply(500, 'Syntax: ETRN domain'),
  etrnInvalid: reply(501, 'Error: invalid parameter syntax'),
  etrnInTransaction: reply(503, 'Error: MAIL transaction in progress'),
  etrnNeedHelo: reply(503, 'Error: send HELO/EHLO first'),
  etrnDenied: (domain: string) => reply(459, `<${domain}>: service unavailable`),
  etrnStarted: reply(250, 'Queuing started'),
  etrnUnable: reply(458, 'Unable to queue messages'),
  badSender: reply(501, '5.1.7 Bad sender address syntax'),
  badRecipient: reply(501, '5.1.3 Bad recipient address syntax'),
  badSize: reply(501, '5.5.4 Bad message size syntax'),
  sizeTooLargeForFileSystem: reply(552, '5.3.4 Message size exceeds file system imposed limit'),
  badRet: reply(501, '5.5.4 Bad RET parameter syntax'),
  badEnvid: reply(501, '5.5.4 Bad ENVID parameter syntax'),
  badNotify: reply(501, '5.5.4 Error: Bad NOTIFY parameter syntax'),
  badOrcpt: reply(501, '5.5.4 Error: Bad ORCPT parameter syntax'),
  dsnDisabled: reply(501, '5.7.1 DSN support is disabled'),
  unsupportedOption: (option: string) => reply(555, `5.5.4 Unsupported option: ${option}`),
  mustDeclareSmtputf8: reply(553, '5.6.7 Must declare SMTPUTF8 to send unicode address'),

  needHelo: reply(503, '5.5.1 Error: send HELO/EHLO first'),
  needMail: reply(503, '5.5.1 Error: need MAIL command'),
  needRcpt: reply(503, '5.5.1 Error: need RCPT command'),
  nestedMail: reply(503, '5.5.1 Error: nested MAIL command'),
  noValidRecipients: reply(554, '5.5.1 Error: no valid recipients'),
  mailAfterBdat: reply(503, '5.5.1 Error: MAIL after BDAT'),
  rcptAfterBdat: reply(503, '5.5.1 Error: RCPT after BDAT'),
  dataAfterBdat: reply(503, '5.5.1 Error: DATA after BDAT'),
  tooManyRecipients: reply(452, '4.5.3 Error: too many recipients'),
  nullBdat: reply(551, '5.7.1 Null BDAT request'),
  bdatDiscarded: (bytes: number) => reply(551, `5.0.0 Discarded ${bytes} bytes after earlier error`),
  chunkTooLarge: reply(552, '5.3.4 Chunk exceeds message size limit'),
  chunkingDisabled: reply(521, '5.5.1 Error: command not implemented'),

  notRecognized: reply(500, '5.5.2 Error: command not recognized'),
  badSyntax: reply(500, '5.5.2 Error: bad syntax'),
  badUtf8: reply(500, '5.5.2 Error: bad UTF-8 syntax'),
  notImplemented: reply(502, '5.5.1 Error: command not implemented'),
  authNotEnabled: reply(503, '5.5.1 Error: authentication not enabled'),
  xclientDenied: reply(550, '5.7.0 Error: insufficient authorization'),
  vrfyDisabled: reply(502, '5.5.1 VRFY command is disabled'),
  breakRules: reply(221, '2.7.0 Error: I can break rules, too. Goodbye.'),
  synchronization: reply(554, '5.5.0 Error: SMTP protocol synchronization'),
  accessDenied: (namaddr: string) => reply(503, `5.7.0 Error: access denied for ${namaddr}`),

  needStartTls: reply(530, '5.7.0 Must issue a STARTTLS command first'),
  starttlsSyntax: reply(501, '5.5.4 Syntax: STARTTLS'),
  tlsActive: reply(554, '5.5.1 Error: TLS already active'),
  tlsUnavailable: reply(454, '4.7.0 TLS not available due to local problem'),
  readyForTls: reply(220, '2.0.0 Ready to start TLS'),
  authSyntax: reply(501, '5.5.4 Syntax: AUTH mechanism'),
  authInTransaction: reply(503, '5.5.1 Error: MAIL transaction in progress'),
  authEncryptionRequired: reply(504, '5.5.4 Encryption required for requested authentication mechanism'),
  alreadyAuthenticated: reply(503, '5.5.1 Error: already authenticated'),
  authChallenge: (challenge: string) => reply(334, challenge),
  authResponseLimit: reply(500, '5.5.6 SASL response limit exceeded'),
  authAborted: reply(501, '5.7.0 Authentication aborted'),
  authOk: reply(235, '2.7.0 Authentication successful'),
  authFailed: (reason: string) => reply(535, `5.7.8 Error: authentication failed: ${reason}`),
  authTemporaryFailure: (reason: string) => reply(454, `4.7.0 Temporary authentication failure: ${reason}`),
  multipleAuthOptions: reply(503, '5.5.4 Error: multiple AUTH= options'),
  tooManyAuth: (address: string) => reply(450, `4.7.1 Error: too many AUTH commands from ${address}`),
  tooManyErrors: (myhostname: string) => reply(421, `4.7.0 ${myhostname} Error: too many errors`),
  timeout: (myhostname: string) => reply(421, `4.4.2 ${myhostname} Error: timeout exceeded`),
  bareLf: (code: number, myhostname: string) => reply(code, `5.5.2 ${myhostname} Error: bare <LF> received`),
  localError: (myhostname: string) => reply(421, `4.3.0 ${myhostname} Server local data error`),
  tooManyConnections: (myhostname: string, address: string) => reply(421, `4.7.0 ${myhostname} Error: too many connections from ${address}`),
  tooMuchMail: (address: string) => reply(450, `4.7.1 Error: too much mail from ${address}`),
  tooManyRecipientsFrom: (address: string) => reply(450, `4.7.1 Error: too many recipients from ${address}`),

  /** cleanup's failure as common_post_message_handling words it: "552 5.3.4 Error: message file too big". */
  cleanupError: (code: number, dsn: string, text: string) => reply(code, `${dsn} Error: ${text}`),
  /** cleanup's failure with its own reason ("550 5.7.1 Spam subject not allowed"). */
  cleanupReason: (code: number, reason: string) => reply(code, reason),
} as const;
