// The state local(8) threads through alias, .forward, :include: and mailbox delivery. As in
// Postfix, DeliverAttr and UserAttr are passed by value: each level copies what it changes
// (nextLevel), so a callee's change never leaks back to its caller; the duplicate filter,
// the Delivered-To set, the forwarding table and the dependencies are shared per recipient.
// Called by every file in engine/local. Models LOCAL_STATE, DELIVER_ATTR and USER_ATTR
// in src/local/local.h.

import type { Host } from '../global/host.ts';
import type { FileSystem } from '../platform/types.ts';
import type { Reporter } from '../global/msg.ts';
import type {
  CleanupEndpoint, DeliveryRecipient, DeliveryRequest, RecipientStatus, RewriteEndpoint, ServiceTraceInput,
} from '../master/contracts.ts';
import type { LookupTable } from '../global/maps/index.ts';
import type { LocalSettings } from './settings.ts';
import type { MessageContent } from '../global/mail-copy.ts';
import type { ForwardTable } from './forward.ts';
import type { CommandRunner } from './command-runner.ts';
import type { Ownership } from '../global/ownership.ts';

/** Whose rights a |command or /file runs with (USER_ATTR). uid 0 means "not chosen yet". */
export interface UserAttr {
  uid: number;
  gid: number;
  home?: string;
  logname?: string;
  shell?: string;
}

export const NO_USER: UserAttr = { uid: 0, gid: 0 };

/** The per-recipient attributes (DELIVER_ATTR). */
export interface DeliverAttr {
  sender: string;
  recipient: DeliveryRecipient;
  /** Recipient domain, local part (folded), base user and extension. */
  domain?: string;
  local: string;
  user: string;
  extension?: string;
  unmatched?: string;
  /** The list owner or .forward user: the sender of forwarded copies. */
  owner?: string;
  /** The address the next Delivered-To header names. */
  delivered?: string;
  relay: string;
  expansionType: number;
  expandedFrom?: string;
  dsnEnvelopeId?: string;
  dsnReturn?: string;
}

/** How local reports a recipient's outcome: the delivery-status library in the service,
 *  a recorder in tests. Each returns when the outcome is logged (and, for the library,
 *  recorded in the bounce/defer logs). */
export interface StatusSink {
  /** False when the trace service failed (sendmail -bv, -v, NOTIFY=SUCCESS). */
  sent(request: DeliveryRequest, status: RecipientStatus): Promise<boolean | void>;
  deferred(request: DeliveryRequest, status: RecipientStatus): Promise<void>;
  /** False when the bounce could not be recorded and the recipient was deferred instead. */
  bounced(request: DeliveryRequest, status: RecipientStatus): Promise<boolean | void>;
  /** Marks a top-level recipient done in the queue file (deliver_completed). */
  completed(request: DeliveryRequest, recipient: DeliveryRecipient): Promise<void>;
}

/** Everything local needs from its host and the other services. */
export interface LocalDependencies {
  host: Host;
  /** The host's files, with root's rights (local runs as root until it acts as the recipient). */
  fs: FileSystem;
  settings: LocalSettings;
  /** master.cf service name: relay=local in the log, and the transport that means "us". */
  serviceName: string;
  /** The delivery agent's process id (Maildir tmp/ names). */
  pid: number;
  log: Reporter;
  trace(detail: ServiceTraceInput): void;
  rewrite: RewriteEndpoint;
  cleanup: CleanupEndpoint;
  status: StatusSink;
  /** Opens alias_maps and the other tables (cached by the caller). */
  openTable(spec: string): Promise<LookupTable>;
  commands: CommandRunner;
  ownership: Ownership;
  /** queue_directory, to read the queue file of a request whose path is relative. */
  queueDirectory: string;
}

/** Shared by all levels of one recipient's delivery. */
export interface SharedState {
  deps: LocalDependencies;
  request: DeliveryRequest;
  message: MessageContent;
  /** been_here(): keys already handled for this recipient, bounded. */
  duplicates: Set<string>;
  /** Delivered-To addresses found in the message header, folded. */
  deliveredTo: ReadonlySet<string>;
  forwards: ForwardTable;
}

export interface LocalState {
  level: number;
  attr: DeliverAttr;
  shared: SharedState;
}

/** Delivery status as Postfix's functions return it: 0 done (sent or bounced and
 *  recorded), non-zero when the recipient must stay in the queue. */
export type DeliveryStatus = number;
export const STATUS_OK = 0;
export const STATUS_DEFER = 1;

/** A copy one level deeper, with attribute changes. */
export function nextLevel(state: LocalState, changes: Partial<DeliverAttr> = {}): LocalState {
  return { level: state.level + 1, attr: { ...state.attr, ...changes }, shared: state.shared };
}

/** been_here(): true when `key` was seen before (then nothing is done again). Keys are
 *  case-folded (BH_FLAG_FOLD). The filter stops growing at duplicate_filter_limit, as Postfix's does. */
export function beenHere(state: LocalState, key: string): boolean {
  const { duplicates, deps } = state.shared;
  const folded = key.toLowerCase();
  if (duplicates.has(folded)) return true;
  const limit = deps.settings.duplicateFilterLimit;
  if (limit <= 0 || duplicates.size < limit) duplicates.add(folded);
  return false;
}

/** been_here_check(): looks without remembering. */
export function beenHereCheck(state: LocalState, key: string): boolean {
  return state.shared.duplicates.has(key.toLowerCase());
}
