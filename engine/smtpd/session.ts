// smtpd's state, split by lifetime (CONVENTIONS.md rule 4): a Session per connection (the
// client, HELO name, protocol, error counters, per-command statistics) and a Transaction
// from MAIL to the end of the message (sender, recipients, the open cleanup stream, size,
// actions that access tables saved for cleanup). A transaction is dropped on RSET, HELO/EHLO,
// after every reply that ends it, and when the session ends.
// Used by the protocol core (api.ts, commands-*.ts, data.ts) and, read-only, by the
// restrictions (checks/). Models SMTPD_STATE of src/smtpd/smtpd.h.

import type { CleanupStream } from '../master/contracts.ts';
import type { TlsInfo } from '../platform/types.ts';
import type { Xforward } from './xforward.ts';

/** Where the session is: before the greeting, reading commands, inside DATA or BDAT
 *  content, or finished. */
export type Phase = 'connect' | 'command' | 'data' | 'bdat' | 'closed';

/** A reply held back by defer_if_permit until the stage ends without a permit. */
export interface DeferredReply {
  code: number;
  dsn: string;
  text: string;
}

/** What the client is, as smtpd_peer.c finds it. */
export interface Client {
  /** Verified hostname, or "unknown". */
  name: string;
  /** The PTR name, verified or not, or "unknown". */
  reverseName: string;
  address: string;
  port: number;
  /** Whether name lookup failed for good ('permanent'), for now ('temporary'), or not. */
  nameStatus: 'ok' | 'temporary' | 'permanent';
  reverseNameStatus: 'ok' | 'temporary' | 'permanent';
  /** The local end of the connection (getsockname), when the service knows it. */
  serverAddress?: string;
  serverPort?: number;
}

/** The per-message part (mail_reset/rcpt_reset clear it). */
export class Transaction {
  sender: string;
  /** The first accepted recipient (state->recipient), for log lines. */
  firstRecipient: string | undefined;
  recipientCount = 0;
  recipientOvershoot = 0;
  /** The cleanup stream, opened at the first accepted RCPT (smtpd_delay_open_until_valid_rcpt). */
  stream: CleanupStream | undefined;
  queueId: string | undefined;
  encoding: '7bit' | '8bitmime' | undefined;
  /** smtpd_check_rewrite(): how cleanup rewrites this message's headers. */
  rewriteContext: 'local' | 'remote' = 'remote';
  smtputf8 = false;
  dsnReturn: 'full' | 'hdrs' | undefined;
  dsnEnvelopeId: string | undefined;
  /** Bytes of content accepted so far, counted as Postfix does (line + 2). */
  actualSize = 0;
  /** CLEANUP_STAT_* bits smtpd itself sets while receiving content (size, bare LF). */
  receiveErrors = 0;
  /** Actions from access tables, handed to cleanup with the message. */
  hold = false;
  discard = false;
  filter: string | undefined;
  redirect: string | undefined;
  readonly bcc: string[] = [];
  /** MAIL FROM's AUTH= parameter (xtext, "<>" not kept): who the client says submitted it. */
  saslSender: string | undefined;

  constructor(sender: string) {
    this.sender = sender;
  }
}

/** Counters of one command name for the disconnect line ("rcpt=2/3"). */
export interface CommandCount {
  success: number;
  total: number;
}

export class Session {
  readonly client: Client;
  readonly sessionId: string;
  phase: Phase = 'connect';
  /** The command or stage for log lines ("CONNECT", "RCPT", "DATA content", "END-OF-MESSAGE"). */
  where = 'CONNECT';
  heloName: string | undefined;
  protocol = 'SMTP';
  errorCount = 0;
  junkCommands = 0;
  /** The declared SIZE= of the last MAIL command; as in Postfix it survives a rejected MAIL. */
  declaredSize = 0;
  /** SMTPD_FLAG_ILL_PIPELINING: improper pipelining was seen (and logged) once. */
  illegalPipelining = false;
  /** Set by a client restriction that rejected at connect time (smtpd_delay_reject = no). */
  accessDenied: string | undefined;
  /** Why the session ended abnormally, for "REASON after WHERE from ...". */
  reason: 'lost connection' | 'timeout' | 'too many errors' | undefined;
  hangup = false;
  transaction: Transaction | undefined;
  /** BDAT: 'none' before the first chunk, 'ok' while chunks arrive, 'error' after a failed
   *  one (even outside a transaction); mail_reset() sets it back to 'none'. */
  bdatState: 'none' | 'ok' | 'error' = 'none';
  /** defer_if_permit replies carried from one stage's restrictions to the next. */
  deferIfPermit: { client?: DeferredReply; helo?: DeferredReply; sender?: DeferredReply } = {};
  /** EHLO keywords suppressed for this client (smtpd_discard_ehlo_keywords). */
  discardedEhloKeywords = new Set<string>();
  /** STARTTLS completed: the protocol and cipher (TLS_SESS_STATE). engine/smtpd/starttls.ts. */
  tls: TlsInfo | undefined;
  /** AUTH succeeded (engine/smtpd/auth.ts): the mechanism as the client named it, the user. */
  saslMethod: string | undefined;
  saslUsername: string | undefined;
  /** smtpd_sasl_exceptions_networks lists this client: AUTH is not announced to it. */
  saslExcepted = false;
  /** smtpd_authorized_xforward_hosts lists this client (decided at connect). */
  xforwardAllowed = false;
  /** That decision failed: a table of the list could not be read (xforward_hosts->error). */
  xforwardLookupFailed = false;
  /** What XFORWARD told about the original client; dropped with the transaction. */
  xforward: Xforward | undefined;
  /** anvil counted this connection in (limits.ts); it is counted out at the end. */
  anvilConnected = false;
  /** Per-command statistics in command-table order. */
  readonly counts = new Map<string, CommandCount>();

  constructor(client: Client, sessionId: string) {
    this.client = client;
    this.sessionId = sessionId;
  }

  /** "name[address]", as log lines and replies show the client. */
  get namaddr(): string {
    return `${this.client.name}[${this.client.address}]`;
  }

  /** SMTPD_IN_MAIL_TRANSACTION. */
  get inTransaction(): boolean {
    return this.transaction !== undefined;
  }

  /** Counts an attempt (before the command runs, so a session that dies inside DATA still
   *  shows "data=0/1"); a success is added with countSuccess(). */
  count(name: string, success = false): void {
    const entry = this.counts.get(name) ?? { success: 0, total: 0 };
    entry.total += 1;
    if (success) entry.success += 1;
    this.counts.set(name, entry);
  }

  countSuccess(name: string): void {
    const entry = this.counts.get(name);
    if (entry !== undefined && entry.success < entry.total) entry.success += 1;
  }
}

/** The disconnect line's statistics: " helo=1/2 ehlo=3 ... commands=5/7", in the order of
 *  `names` (the command table), "unknown" last, "commands=0/0" when nothing was sent. */
export function formatCommandCounts(counts: ReadonlyMap<string, CommandCount>, names: readonly string[]): string {
  let text = '';
  let success = 0;
  let total = 0;
  for (const name of [...names, 'unknown']) {
    const entry = counts.get(name);
    if (entry === undefined || entry.total === 0) continue;
    text += ` ${name}=${entry.success}`;
    if (entry.success !== entry.total) text += `/${entry.total}`;
    success += entry.success;
    total += entry.total;
  }
  text += ` commands=${success}`;
  if (success !== total || total === 0) text += `/${total}`;
  return text;
}
