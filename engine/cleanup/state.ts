// The state of one message going through cleanup: the envelope as given and as rewritten,
// the status bits and reason, the flags that content actions set (hold, discard, filter,
// redirect, BCC), and what the header pass learned (headers seen, hop count, Resent-).
// Also the table of status details (SMTP code, DSN code, text) that clients use to word a
// failure, as Postfix's cleanup_strerror.
// Created by stream.ts for each open(); read and written by the processing steps.
// Models src/cleanup/cleanup.h (CLEANUP_STATE) and src/global/cleanup_strerror.c.

import { CleanupStatus, type CleanupClient, type CleanupFlags, type SubmittedRecipient } from '../master/contracts.ts';
import type { EnvelopeEntry, RecipientEntry } from '../global/queue/queue-file.ts';
import type { PreciseTime } from '../global/queue/mail-queue.ts';

export interface StatusDetail {
  status: number;
  smtpCode: number;
  dsn: string;
  text: string;
}

/** In Postfix's order: the first bit that is set decides the wording. */
export const STATUS_DETAILS: readonly StatusDetail[] = [
  { status: CleanupStatus.defer, smtpCode: 451, dsn: '4.7.1', text: 'service unavailable' },
  { status: CleanupStatus.proxy, smtpCode: 451, dsn: '4.3.0', text: 'queue file write error' },
  { status: CleanupStatus.bad, smtpCode: 451, dsn: '4.3.0', text: 'internal protocol error' },
  { status: CleanupStatus.recipient, smtpCode: 550, dsn: '5.1.0', text: 'no recipients specified' },
  { status: CleanupStatus.hops, smtpCode: 554, dsn: '5.4.0', text: 'too many hops' },
  { status: CleanupStatus.size, smtpCode: 552, dsn: '5.3.4', text: 'message file too big' },
  { status: CleanupStatus.content, smtpCode: 550, dsn: '5.7.1', text: 'message content rejected' },
  { status: CleanupStatus.write, smtpCode: 451, dsn: '4.3.0', text: 'queue file write error' },
];

const UNKNOWN_DETAIL: StatusDetail = { status: 0, smtpCode: 451, dsn: '4.3.0', text: 'unknown cleanup error' };

/** cleanup_stat_detail: the wording for a status bit set (smtpd prints "Error: " + text). */
export function cleanupStatusDetail(status: number): StatusDetail {
  return STATUS_DETAILS.find((detail) => (detail.status & status) !== 0) ?? UNKNOWN_DETAIL;
}

/** Errors that stop all further output when cleanup cannot bounce (CLEANUP_STAT_MASK_INCOMPLETE). */
export const STATUS_MASK_INCOMPLETE = CleanupStatus.bad | CleanupStatus.write | CleanupStatus.size | CleanupStatus.defer;
/** Errors that can never become a bounce (CLEANUP_STAT_MASK_CANT_BOUNCE). */
export const STATUS_MASK_CANT_BOUNCE = CleanupStatus.bad | CleanupStatus.write | CleanupStatus.defer | CleanupStatus.recipient;

/** Header types cleanup treats specially (header_opts.h). */
export interface HeaderOptions {
  name: string;
  drop: boolean;
  sender: boolean;
  recipient: boolean;
  resent: boolean;
  mime: boolean;
}

export class CleanupState {
  readonly queueId: string;
  readonly client: CleanupClient;
  readonly flags: CleanupFlags;
  /** When the queue file was made: Message-Id time stamp, Received date. */
  readonly createdAt: PreciseTime;
  arrivalTime: PreciseTime;

  // Envelope as the client gave it.
  sender: string | undefined;
  fullName: string | undefined;
  readonly submittedRecipients: SubmittedRecipient[] = [];
  /** Non-recipient envelope entries in call order (attributes, full name, sender). */
  readonly envelopeCalls: EnvelopeEntry[] = [];
  /** Records the client sent before its envelope (pickup's content_filter record). */
  readonly leadingRecords: EnvelopeEntry[] = [];
  readonly attributes = new Map<string, string>();

  // Envelope as written.
  rewrittenSender: string | undefined;
  readonly recipients: RecipientEntry[] = [];
  readonly extractedRecipients: RecipientEntry[] = [];
  /** Keys for duplicate elimination (been_here). */
  readonly seenRecipients = new Set<string>();
  /** The last recipient, for log lines ("to=<...>"), as Postfix's state->recip. */
  lastRecipient: string | undefined;

  // Outcome.
  errors = 0;
  reason: string | undefined;
  /** errors that stop output: everything when not bouncing, else the incomplete mask. */
  readonly errorMask: number;
  hold: boolean;
  discard = false;
  contentChecks: boolean;
  filter: string | undefined;
  redirect: string | undefined;
  readonly headerBcc: string[] = [];
  /** FILTER, REDIRECT and BCC from smtpd's access restrictions (CleanupStream.setActions);
   *  written ahead of the header/body check ones, as smtpd's records precede them. */
  accessFilter: string | undefined;
  accessRedirect: string | undefined;
  readonly accessBcc: string[] = [];

  // Header pass.
  readonly headersSeen = new Set<string>();
  hopCount = 0;
  resent = '';
  /** 'local', 'remote', or undefined when headers are not rewritten (remote context with
   *  an empty remote_header_rewrite_domain). */
  headerRewriteContext: 'local' | 'remote' | undefined;
  contentBytes = 0;
  oversize = false;

  constructor(options: { queueId: string; client: CleanupClient; flags: CleanupFlags; createdAt: PreciseTime; remoteHeaderRewriteDomain: string }) {
    this.queueId = options.queueId;
    this.client = options.client;
    this.flags = options.flags;
    this.createdAt = options.createdAt;
    this.arrivalTime = options.createdAt;
    this.hold = options.flags.hold === true;
    this.contentChecks = options.flags.skipContentChecks !== true;
    this.errorMask = options.flags.bounceOnReject ? STATUS_MASK_INCOMPLETE : ~0;
    this.headerRewriteContext = options.client.rewriteContext === 'local' ? 'local'
      : options.remoteHeaderRewriteDomain !== '' ? 'remote' : undefined;
  }

  /** CLEANUP_OUT_OK: whether output (and further inspection) goes on. */
  get outputOk(): boolean {
    return (this.errors & this.errorMask) === 0 && !this.discard;
  }

  get mappingsEnabled(): boolean {
    return this.flags.skipAddressMappings !== true;
  }

  /** Where the message came from in action log lines: "local" or "name[addr]". */
  get origin(): string {
    const attribute = this.attributes.get('log_message_origin');
    if (attribute !== undefined) return attribute;
    if (this.client.clientAddress !== undefined) return `${this.client.clientName ?? 'unknown'}[${this.client.clientAddress}]`;
    return 'local';
  }

  get protocol(): string | undefined {
    return this.attributes.get('log_protocol_name') ?? this.client.protocol;
  }

  get helo(): string | undefined {
    return this.attributes.get('log_helo_name') ?? this.client.helo;
  }

  fail(status: number, reason?: string): void {
    this.errors |= status;
    if (reason !== undefined) this.reason = reason;
  }
}
