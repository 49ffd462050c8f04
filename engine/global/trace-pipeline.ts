// Trace events of the mail pipeline of one host (DESIGN.md sections 3-4): submission,
// cleanup, the queues, qmgr, delivery agents, bounces and the queue tools. Each kind's
// comment gives the maillog line it renders to (engine/global/maillog/ renders them, in
// Postfix 3.7's shapes: see shared/reference/postfix-3.7/logs); kinds marked "no log line"
// exist for the UI's path view, graders and benchmarks.
// Emitted by the services under engine/<program>/ with TraceOrigin.queueId set whenever a
// queue id is known; read by the maillog writer, the UI and tests.

/** Delays of one delivery in seconds, as Postfix's "delays=a/b/c/d": before the active
 *  queue, in the active queue, connection setup, transmission. */
export interface DeliveryDelays {
  beforeActiveSeconds: number;
  inActiveSeconds: number;
  connectionSetupSeconds: number;
  transmissionSeconds: number;
}

/** SOFTBOUNCE is what Postfix logs for a bounce turned into a deferral by soft_bounce = yes. */
export type DeliveryStatusName = 'sent' | 'deferred' | 'bounced' | 'expired' | 'deliverable' | 'undeliverable' | 'SOFTBOUNCE';

export type PipelineTraceDetail =
  /** postdrop wrote a maildrop file (queueId = its name). No log line. */
  | { kind: 'postdrop.queued'; uid: number; sender: string; recipients: string[] }
  /** pickup took a maildrop file: "ID: uid=1002 from=<bob>" (+ " orig_id=OLD" after postsuper -r). */
  | { kind: 'pickup.accepted'; uid: number; sender: string; originalQueueId?: string }
  /** cleanup assigned the id and read the Message-ID: "ID: message-id=<...>" (also
   *  "ID: resent-message-id=<...>"). */
  | { kind: 'cleanup.message-id'; header: 'message-id' | 'resent-message-id'; messageId: string }
  /** cleanup added a header that was missing (Received, Message-Id, Date, From, To...). No log line. */
  | { kind: 'cleanup.header-added'; name: string; value: string }
  /** cleanup rewrote an address through canonical/masquerade/virtual alias. No log line. */
  | { kind: 'cleanup.address-rewritten'; where: 'sender' | 'recipient' | 'header';
      table: string; from: string; to: string[] }
  /** header_checks/body_checks action: "ID: reject: header Subject: x from local; from=<a> to=<b>: 5.7.1 text",
   *  "ID: warning: header ...", "ID: hold: ...", "ID: discard: ...", "ID: replace: ...",
   *  "ID: redirect: ...", "ID: filter: ...", "ID: prepend: ...". */
  | { kind: 'cleanup.content-action'; action: string; where: 'header' | 'body' | 'mime-header' | 'nested-header';
      line: string; origin: string; sender: string; recipient?: string; protocol?: string; helo?: string;
      text: string }
  /** cleanup refused the message (size limit, too many hops, a reject action...). The log line,
   *  if any, comes from the cleanup.content-action or a diagnostic; smtpd/pickup report the status. */
  | { kind: 'cleanup.rejected'; status: number; reason: string }
  /** A queue file moved between queue directories (maildrop/incoming/active/deferred/hold/corrupt).
   *  No log line. */
  | { kind: 'queue.moved'; from: string; to: string }
  /** qmgr moved a message into the active queue: "ID: from=<a>, size=318, nrcpt=1 (queue active)". */
  | { kind: 'qmgr.active'; sender: string; size: number; recipients: number }
  /** All recipients done: "ID: removed". */
  | { kind: 'qmgr.removed' }
  /** The message outlived maximal_queue_lifetime: "ID: from=<a>, status=expired, returned to sender";
   *  postsuper -e/-f forced it: "status=force-expired". */
  | { kind: 'qmgr.expired'; sender: string; forced?: boolean }
  /** A message was skipped because its queue file is unreadable and moved to corrupt/:
   *  "warning: ID: ..." is a diagnostic; this records the move. No log line. */
  | { kind: 'qmgr.corrupt'; reason: string }
  /** trivial-rewrite resolved an address. No log line. */
  | { kind: 'trivial-rewrite.resolve'; address: string; addressClass: string; transport: string;
      nexthop: string; recipient: string; flags: string[] }
  /** qmgr handed recipients to a delivery agent. No log line. */
  | { kind: 'delivery.request'; transport: string; nexthop: string; recipients: string[] }
  /** One recipient's outcome: "ID: to=<a>, orig_to=<b>, relay=local, delay=0.05,
   *  delays=0.02/0.02/0/0, dsn=2.0.0, status=sent (delivered to mailbox)". `extra` holds
   *  ", conn_use=2"-style fields in log order. */
  | { kind: 'delivery.status'; recipient: string; originalRecipient?: string; relay: string;
      delaySeconds: number; delays: DeliveryDelays; dsn: string; status: DeliveryStatusName;
      text: string; extra?: string }
  /** A DSN was sent: "ID: sender non-delivery notification: NEWID" (also "sender delay
   *  notification", "sender delivery status notification", "postmaster non-delivery notification"). */
  | { kind: 'bounce.notification'; notice: string; newQueueId: string }
  /** local forwarded a message (.forward or alias to a remote address): part of the
   *  delivery.status text "forwarded as NEWID"; recorded for path joining. No own log line. */
  | { kind: 'local.forwarded'; recipient: string; newQueueId: string }
  /** postsuper acted on a queue file: "ID: removed", "ID: placed on hold",
   *  "ID: released from hold", "ID: requeued". */
  | { kind: 'postsuper.action'; action: 'removed' | 'placed on hold' | 'released from hold' | 'requeued' }
  /** master started, reloaded or stopped: "daemon started -- version 3.7.11, configuration /etc/postfix",
   *  "reload -- version 3.7.11, configuration /etc/postfix", "terminating on signal 15". */
  | { kind: 'master.lifecycle'; event: 'started' | 'reload' | 'terminating'; configDirectory: string; signal?: number }
  /** A log line that has no structured kind yet: rendered as given. Use sparingly: a new
   *  step deserves its own kind. */
  | { kind: 'log.text'; text: string };
