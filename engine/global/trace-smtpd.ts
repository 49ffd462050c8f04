// The trace kinds of smtpd(8): a session's connect and disconnect, each command and reply
// (both directions, no log line), the "ID: client=" line, reject/warn/hold/discard lines
// ("NOQUEUE: reject: RCPT from ..."), abnormal session ends ("timeout after EHLO from ...")
// and protocol violations ("improper command pipelining after CONNECT from ...").
// Emitted by engine/smtpd through ServiceContext.trace(); rendered to maillog lines by
// engine/global/maillog/render-smtpd.ts. Models the msg_info() calls of src/smtpd/smtpd.c
// and log_whatsup() in smtpd_check.c.

export type SmtpdTraceDetail =
  /** "connect from NAME[ADDR]". */
  | { kind: 'smtpd.connect'; clientName: string; clientAddress: string; clientPort: number }
  /** "disconnect from NAME[ADDR] ehlo=1 mail=1 ... commands=5". `unreadBytes` is what the
   *  client had sent that the server never read (a kernel would answer with a reset). */
  | { kind: 'smtpd.disconnect'; clientName: string; clientAddress: string; counters: string; unreadBytes?: number }
  /** A command line as received (decoded for display). No log line. */
  | { kind: 'smtpd.command'; line: string }
  /** One reply line as sent. No log line. */
  | { kind: 'smtpd.reply'; text: string }
  /** "ID: client=NAME[ADDR]": the queue file was opened at the first accepted RCPT; after
   *  AUTH with ", sasl_method=PLAIN, sasl_username=alice" (and ", sasl_sender=" for AUTH=). */
  | { kind: 'smtpd.client'; clientName: string; clientAddress: string; saslMethod?: string; saslUsername?: string; saslSender?: string; origQueueId?: string; origClient?: string }
  /** log_whatsup(): "ID: ACTION: WHERE from NAME[ADDR]: TEXT; from=<s> to=<r> proto=P helo=<h>".
   *  ACTION is reject, reject_warning, hold, discard, warn, info, filter, redirect, bcc. */
  | { kind: 'smtpd.whatsup'; action: string; where: string; clientName: string; clientAddress: string;
      text: string; sender?: string; recipient?: string; protocol?: string; helo?: string;
      saslMethod?: string; saslUsername?: string; saslSender?: string }
  /** "REASON after WHERE from NAME[ADDR]" (with " (N bytes)" after DATA or BDAT). */
  | { kind: 'smtpd.session-end'; reason: 'lost connection' | 'timeout' | 'too many errors';
      where: string; clientName: string; clientAddress: string; bytes?: number }
  /** "improper command pipelining after WHERE from NAME[ADDR]: PENDING". */
  | { kind: 'smtpd.pipelining'; where: string; clientName: string; clientAddress: string; pending: string };
