// The contracts between the services of one running host (DESIGN.md section 3). In Postfix
// the programs talk over UNIX-domain sockets and FIFOs under the queue directory
// (private/cleanup, public/pickup, public/qmgr, private/bounce, ...); here each service is an
// async task in one process per host and the same conversations are typed calls through the
// HostRuntime. master (engine/master/) owns the runtime: it reads master.cf, starts one
// instance of each service with its own pid and its -o overrides, and finds them for callers.
// Every service implements ServiceProgram; the endpoints below are what other services call.

import type { Host } from '../global/host.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import type { MasterEntry } from '../global/config/master-cf.ts';
import type { Reporter } from '../global/msg.ts';
import type { MailQueue, PreciseTime } from '../global/queue/mail-queue.ts';
import type { TraceDetail, TraceOrigin } from '../global/trace.ts';

// ---------------------------------------------------------------------------------------
// The runtime a service sees.

/** What one running service instance is given by master. */
export interface ServiceContext {
  readonly host: Host;
  readonly runtime: HostRuntime;
  /** The master.cf entry that started this service (service name, type, command, -o). */
  readonly entry: MasterEntry;
  /** master.cf's service name ("relay", "cleanup"): the transport name for delivery agents. */
  readonly serviceName: string;
  /** The command (program) name ("smtp", "cleanup"): the log tag is syslog_name/program. */
  readonly program: string;
  readonly pid: number;
  /** main.cf with this service's -o overrides applied; replaced on reload. */
  config(): MainConfig;
  /** Diagnostics as "postfix/<program>[pid]: warning: ...", into the maillog via the trace. */
  readonly log: Reporter;
  /** Emits a trace event stamped with this service's host, program name and pid. The
   *  detail must be a fresh object the caller does not keep: the stamp goes into it. */
  trace(detail: ServiceTraceInput): void;
  /** The service's process shows itself (Postfix starts one on demand): what its main.cf
   *  read held back is logged now. trace() calls it before the first event; a service whose
   *  events bypass trace() calls it when it first serves. */
  active?(): void;
  /** A client of the service's own listener (smtpd's SMTP session) starts: a process that
   *  exited after max_idle or max_use is replaced first (a new pid, main.cf read again),
   *  so await the promise when there is one. Pair with endUse() when the client is done;
   *  the process never changes while a client is open. */
  beginUse?(): Promise<void> | undefined;
  endUse?(): void;
  /** Whether the service's process has exited by now (no client open, and max_idle passed
   *  or a reload retired it): a service that keeps per-process state (anvil's counters)
   *  drops it then, as the process's memory goes with it. */
  hasExited?(): boolean;
}

/** A trace event without the origin fields that ServiceContext fills in. */
export type ServiceTraceInput = Omit<TraceOrigin, 'host' | 'service' | 'pid'> & TraceDetail;

/** A started service. stop() lets in-flight work end at a safe point (no partial queue file). */
export interface RunningService {
  stop(): Promise<void>;
  /** Called by master when a trigger (Postfix's fifo/unix "wakeup") names this service. */
  wake?(reason: TriggerReason): void;
}

/** Postfix's trigger requests: a plain wakeup, qmgr's "scan deferred too" (flush), the
 *  request to scan incoming (after cleanup queued a message), and qmgr's "forget dead
 *  destinations" (QMGR_REQ_FLUSH_DEAD, which flush(8) sends before it moves a site's mail). */
export type TriggerReason = 'wakeup' | 'scan-incoming' | 'flush-deferred' | 'flush-dead';

/** One program implementation; master calls start() for a master.cf entry whose command
 *  names it. The returned object may also implement the endpoint of its kind. */
export interface ServiceProgram {
  /** The command name in master.cf ("pickup", "cleanup", "qmgr", "local", "smtp", ...). */
  readonly program: string;
  start(context: ServiceContext): Promise<RunningService>;
}

/** What every service can reach of its host. */
export interface HostRuntime {
  readonly host: Host;
  readonly configDirectory: string;
  /** The current main.cf (no service overrides); replaced on reload. */
  config(): MainConfig;
  /** The queue directory with hashing as main.cf says. */
  queue(): MailQueue;
  /** Wakes the service listening as public/NAME or private/NAME (pickup, qmgr, flush). */
  trigger(serviceName: string, reason?: TriggerReason): void;
  cleanup(): CleanupEndpoint;
  rewrite(): RewriteEndpoint;
  bounce(): BounceEndpoint;
  /** The delivery agent for a transport (master.cf service name), or undefined if master.cf
   *  has no such unix service: qmgr then defers with "mail transport unavailable". */
  deliveryAgent(transport: string): DeliveryAgentEndpoint | undefined;
  /** Looks up a running service by master.cf name (for wake-ups, tests and the UI). */
  service(name: string): RunningService | undefined;
}

// ---------------------------------------------------------------------------------------
// cleanup(8): pickup, smtpd, bounce, local (forwarding) and postsuper -r submit through it.

/** cleanup_flags as Postfix's cleanup_user.h, whole words. */
export interface CleanupFlags {
  /** Hold the message (like a HOLD action) instead of queueing it in incoming. */
  hold?: boolean;
  /** Skip header/body checks (CLEANUP_FLAG_FILTER off): internally generated mail. */
  skipContentChecks?: boolean;
  /** Skip virtual alias expansion (CLEANUP_FLAG_MAP_OK off); e.g. after a content filter. */
  skipAddressMappings?: boolean;
  /** Bounce a rejected message to the sender (pickup) rather than reply with an error (smtpd). */
  bounceOnReject?: boolean;
  /** Do not generate DSNs from content-check rejects for this client. */
  discardOnReject?: boolean;
}

/** Who is submitting: shapes the Received header, the log lines and rewrite context. */
export interface CleanupClient {
  /** "pickup", "smtpd", "bounce", "local", "sendmail" ... */
  service: string;
  /** "local" (pickup, bounce) or "remote" (smtpd) as Postfix's rewrite_context. */
  rewriteContext: 'local' | 'remote';
  /** For smtpd: client name/address/protocol/helo; for pickup: the submitting uid. */
  clientName?: string;
  clientAddress?: string;
  protocol?: string;
  helo?: string;
  uid?: number;
  /** smtpd: the STARTTLS session. Makes "with ESMTPS" (RFC 3848); with tlsReceivedHeader
   *  (smtpd_tls_received_header) the Received header also gets the "(using ...)" comment. */
  tls?: CleanupTlsSession;
  tlsReceivedHeader?: boolean;
  /** smtpd_tls_ask_ccert: "(Client did not present a certificate)" instead of "(No client
   *  certificate requested)" under the "(using ...)" comment. */
  tlsAskClientCertificate?: boolean;
  /** smtpd: the AUTH login. Makes "with ESMTPA"; with saslReceivedHeader
   *  (smtpd_sasl_authenticated_header) the header gets "(Authenticated sender: NAME)". */
  saslUsername?: string;
  saslReceivedHeader?: boolean;
  /** smtpd: MAIL FROM had SMTPUTF8, so the Received header says "with UTF8SMTP". */
  smtputf8?: boolean;
}

/** What smtpd knows of a TLS session, as the Received header's comment shows it (the
 *  optional parts come from the platform when it can tell them). */
export interface CleanupTlsSession {
  /** "TLSv1.3" */
  protocol: string;
  /** "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  usedBits: number;
  algorithmBits: number;
  /** "X25519" */
  keyExchange?: string;
  /** "RSA-PSS", its key size and digest. */
  serverSignature?: string;
  serverSignatureBits?: number;
  serverDigest?: string;
}

/** Actions smtpd's access restrictions chose after the stream was opened (at the first
 *  accepted RCPT): Postfix's smtpd sends them as REC_TYPE_FLGS (HOLD, DISCARD),
 *  REC_TYPE_FILT, REC_TYPE_RDR and extracted REC_TYPE_RCPT (BCC) records before the end. */
export interface CleanupActions {
  /** Queue the message in hold/ instead of incoming/. */
  hold?: boolean;
  /** Throw the message away but answer success. */
  discard?: boolean;
  /** FILTER transport:destination (a content_filter for this message). */
  filter?: string;
  /** REDIRECT user@domain: every recipient is replaced at delivery time. */
  redirect?: string;
  /** BCC user@domain: extra recipients, added as cleanup adds automatic BCCs. */
  bcc?: readonly string[];
}

/** Postfix's CLEANUP_STAT_* bits, the outcome of a submission. 0 is success. */
export const CleanupStatus = {
  ok: 0,
  bad: 1 << 0,        // internal protocol error
  write: 1 << 1,      // error writing the queue file
  size: 1 << 2,       // message file too big
  content: 1 << 3,    // content rejected (header/body checks)
  hops: 1 << 4,       // too many hops
  recipient: 1 << 6,  // no recipients found
  proxy: 1 << 7,
  defer: 1 << 8,      // temporary failure (e.g. a lookup table failed)
  bareNewline: 1 << 9,
} as const;

export interface CleanupResult {
  /** A CleanupStatus bit set; 0 when the message is safely queued. */
  status: number;
  queueId: string;
  /** For a failure: the text with its DSN code, e.g. "5.3.4 Message size exceeds fixed limit". */
  reason?: string;
}

/** One submission in progress. The queue id exists from open(), as in Postfix, so smtpd can
 *  log "ID: client=..." before the message is complete. */
export interface CleanupStream {
  readonly queueId: string;
  setSender(address: string): void;
  /** fullName from sendmail -F. */
  setFullName(name: string): void;
  addRecipient(recipient: SubmittedRecipient): void;
  /** Extra envelope attributes (log_ident, rewrite_context, dsn_envid, dsn_ret, ...). */
  setAttribute(name: string, value: string): void;
  /** The arrival time to record (postsuper -r keeps the old one). */
  setArrivalTime(time: PreciseTime): void;
  /** Message content bytes: header and body with LF or CRLF line ends, as received. */
  addContent(bytes: Uint8Array): void;
  /** The client's content_filter (transport:nexthop), sent as Postfix's smtpd and pickup
   *  send REC_TYPE_FILT: smtpd right after its time record, pickup ahead of the maildrop
   *  file's envelope (`beforeEnvelope`). qmgr gives the message to that filter. Optional
   *  so that test doubles of other clients need not implement it. */
  setContentFilter?(transport: string, options?: { beforeEnvelope?: boolean }): void;
  /** Access-table actions found after open() (smtpd); later calls add to earlier ones.
   *  Optional so that test doubles of other clients need not implement it. */
  setActions?(actions: CleanupActions): void;
  /** Ends the content; cleanup processes, writes, syncs, and only then answers. */
  finish(): Promise<CleanupResult>;
  /** Gives up: the incomplete queue file is removed. */
  abort(): Promise<void>;
}

export interface SubmittedRecipient {
  address: string;
  /** The address as first given (orig_to), when it differs. */
  originalRecipient?: string;
  /** DSN ORCPT, "rfc822;addr". */
  dsnOriginalRecipient?: string;
  /** DSN NOTIFY bits: never 1, success 2, failure 4, delay 8 (dsn.h). */
  dsnNotify?: number;
}

export interface CleanupEndpoint {
  open(client: CleanupClient, flags?: CleanupFlags): Promise<CleanupStream>;
}

// ---------------------------------------------------------------------------------------
// trivial-rewrite(8).

export type AddressClass = 'local' | 'alias' | 'virtual' | 'relay' | 'default' | 'error';

export interface Resolution {
  addressClass: AddressClass;
  transport: string;
  nexthop: string;
  /** The recipient after rewriting, as it will be delivered. */
  recipient: string;
  /** Postfix's RESOLVE_FLAG_*: 'fail' (lookup failure: defer), 'error', 'routed', 'classOther'... */
  flags: string[];
}

export interface RewriteEndpoint {
  rewrite(context: 'local' | 'remote', address: string): Promise<string>;
  resolve(sender: string, address: string): Promise<Resolution>;
}

// ---------------------------------------------------------------------------------------
// Delivery: qmgr -> agent (local, virtual, pipe, error, discard, smtp, lmtp).

export interface DeliveryRecipient {
  address: string;
  originalRecipient: string;
  /** Offset of the recipient record in the queue file, for marking it done. */
  offset: number;
  dsnNotify: number;
  dsnOriginalRecipient?: string;
}

export interface DeliveryRequest {
  queueName: string;
  queueId: string;
  /** Path of the queue file, under the queue directory. */
  queuePath: string;
  transport: string;
  nexthop: string;
  sender: string;
  arrivalTime: PreciseTime;
  /** When qmgr moved the message into active, for delays=a/b. */
  activeSinceMs: number;
  messageSize: number;
  /** Offset of the content segment (first header line) in the queue file. */
  contentOffset: number;
  recipients: DeliveryRecipient[];
  dsnEnvelopeId?: string;
  /** DSN RET: 'full' or 'hdrs'. */
  dsnReturn?: string;
  /** Client attributes from the queue file (deliver_request.h client_name ... rewrite_context):
   *  the original client's as logged (log_client_* when present, else client_*), its SASL
   *  login, the original queue id (log_ident) and the address rewriting context. */
  clientName?: string;
  clientAddress?: string;
  clientPort?: string;
  clientProtocol?: string;
  clientHelo?: string;
  saslMethod?: string;
  saslUsername?: string;
  saslSender?: string;
  logIdent?: string;
  rewriteContext?: string;
  /** Set after delay_warning_time or for the last attempt before expiry. `verify` is
   *  sendmail -bv (DEL_REQ_FLAG_USR_VRFY: report, do not deliver), `record` is sendmail -v
   *  (DEL_REQ_FLAG_RECORD: a trace/ID record for every recipient), `recordDelayedSent` is
   *  DEL_REQ_FLAG_REC_DLY_SENT (after a delay warning, record later successes).
   *  `connectionFetch`/`connectionStore` are DEL_REQ_FLAG_CONN_FETCH/CONN_STORE: qmgr asks
   *  the smtp/lmtp agent to reuse cached connections to the destination, and to cache its
   *  own (on-demand connection caching once deliveries run back to back). */
  flags?: { lastAttempt?: boolean; verify?: boolean; record?: boolean; recordDelayedSent?: boolean;
    connectionFetch?: boolean; connectionStore?: boolean };
}

/** What an agent reports back for the whole request. Per-recipient outcomes have already
 *  been logged, marked done and recorded by the delivery-status library
 *  (engine/global/delivery-status.ts) by the time this returns. */
export interface DeliveryResult {
  /** True when at least one recipient was deferred: qmgr must move the file to deferred/. */
  deferred: boolean;
  /** Set when the whole destination failed (connection refused...): qmgr backs off the
   *  destination, not only this message. */
  destinationDead?: { dsn: string; reason: string };
}

export interface DeliveryAgentEndpoint {
  deliver(request: DeliveryRequest): Promise<DeliveryResult>;
}

// ---------------------------------------------------------------------------------------
// bounce(8)/defer(8)/trace(8): per-message logs and DSN messages.

export interface RecipientStatus {
  recipient: DeliveryRecipient;
  /** "5.1.1" style. */
  dsn: string;
  /** DSN action: failed, delayed, delivered, relayed, expanded; deliverable and
   *  undeliverable are the verify-mode actions (sendmail -bv) of the trace log. */
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded' | 'deliverable' | 'undeliverable';
  /** The reason text as logged in parentheses. */
  reason: string;
  /** "local", "mail.example.com[192.0.2.1]:25", "none". */
  relay: string;
  /** The remote server's reply for DSN Diagnostic-Code: "smtp; 550 5.1.1 ..." */
  diagnosticCode?: string;
  remoteMta?: string;
}

/** How a non-delivery DSN returns the original (bounce_flush's dsn_ret argument). */
export interface BounceFlushOptions {
  /** Return only the headers, whatever RET the sender asked for: cleanup's bounce of a
   *  message it rejected for its content or size (cleanup_bounce.c). */
  headersOnly?: boolean;
}

export interface BounceEndpoint {
  /** Appends a record to the per-message log: bounce/ID, defer/ID or trace/ID. */
  append(log: 'bounce' | 'defer' | 'trace', queueId: string, status: RecipientStatus): Promise<void>;
  /** Sends the non-delivery DSN for what bounce/ID holds, then removes that log. Returns the
   *  new queue id, or undefined if none was sent (null sender: never bounce). */
  flushBounces(queueId: string, queueName: string, options?: BounceFlushOptions): Promise<string | undefined>;
  /** The message expired (qmgr's defer_flush): sends a non-delivery DSN for what defer/ID
   *  holds, then removes that log. Returns the new queue id, if any. */
  flushDeferred(queueId: string, queueName: string): Promise<string | undefined>;
  /** Sends a delay warning from defer/ID. */
  warnDelayed(queueId: string, queueName: string): Promise<string | undefined>;
  /** Sends a success/trace DSN (NOTIFY=SUCCESS, sendmail -bv) from trace/ID. */
  flushTrace(queueId: string, queueName: string): Promise<string | undefined>;
}
