// Trace events of the smtp(8)/lmtp(8) client (DESIGN.md section 4): the DNS lookups that
// turn a nexthop into mail exchangers and addresses, each connection attempt, and the
// conversation in both directions. None has a maillog line of its own: the client's log
// lines are 'delivery.status' events and diagnostics ("connect to ...: Connection
// refused"). The UI's path view and graders read these; a message's path across hosts is
// joined by the "250 ... queued as ID" reply recorded in 'smtp-client.reply'.
// Emitted by engine/smtp/; read by the UI, tests and graders.

export type SmtpClientTraceDetail =
  /** An MX or address lookup and its outcome ("NXDOMAIN", "SERVFAIL", ... or the answers). */
  | { kind: 'smtp-client.dns'; name: string; type: 'MX' | 'A' | 'AAAA'; answers: string[]; error?: string }
  /** A connection attempt to one server address: ok, or the error text. */
  | { kind: 'smtp-client.connect'; nexthop: string; hostName: string; address: string; port: number;
      ok: boolean; error?: string }
  /** A command line the client sent (without CRLF); message content is not traced line by
   *  line, only its size in 'smtp-client.content'. */
  | { kind: 'smtp-client.command'; server: string; text: string }
  /** A complete (possibly multi-line) server reply, lines joined with "\n". */
  | { kind: 'smtp-client.reply'; server: string; code: number; text: string }
  /** The message content went out after DATA: bytes on the wire (dot-stuffed, CRLF). */
  | { kind: 'smtp-client.content'; server: string; bytes: number }
  /** The connection to a server was closed (after QUIT, or dropped after an error). */
  | { kind: 'smtp-client.disconnect'; server: string; reason: string };
