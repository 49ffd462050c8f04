// pickup: moves local submissions from maildrop/ into the mail system. A scan lists
// maildrop/ (sorted), takes each complete file (owner execute bit set, a regular file with a
// queue-id name), copies its envelope and text into a cleanup submission and removes the
// file only after cleanup has answered that the message is safely queued: a crash before
// that leaves the file for the next scan (at worst a duplicate, never a loss). Scans repeat
// while they take files. Logs "ID: uid=N from=<sender>" (with " orig_id=OLD" for a file
// that postsuper -r put back: owned by mail_owner and not world-readable).
// Called by service.ts on every wakeup (master.cf's timer or a trigger) and by tests.
// Trusts the runtime's cleanup endpoint; trusts nothing in the files.
// Models src/pickup/pickup.c (pickup_service, pickup_file, pickup_copy) and mail_open_ok.c.

import type { CleanupEndpoint, CleanupFlags, CleanupStream, ServiceContext } from '../master/contracts.ts';
import { CleanupStatus } from '../master/contracts.ts';
import type { MailQueue } from '../global/queue/mail-queue.ts';
import { QueueName } from '../global/queue/mail-queue.ts';
import { isQueueIdSyntaxOk } from '../global/queue/queue-id.ts';
import { lookupUser } from '../global/passwd.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import { readMaildropFile, type MaildropMessage } from './maildrop-file.ts';
import { cleanupStatusDetail } from '../cleanup/state.ts';

/** A complete queue file has exactly the owner's read, write and execute bits among S_IRWXU. */
const OWNER_BITS = 0o700;
const OWNER_READY = 0o700;
/** S_IROTH: postdrop's files are world-readable, postsuper -r's are not. */
const OTHERS_READ = 0o004;

/** Scans of maildrop/ in one wakeup: pickup rescans while it keeps taking files. */
export const SCANS_PER_WAKEUP_MAX = 100;
/** Files taken in one scan: a bound on one pass over a flooded maildrop. */
export const FILES_PER_SCAN_MAX = 100_000;

/** What pickup needs from its service context (tests pass a small fake). */
export type PickupContext = Pick<ServiceContext, 'host' | 'runtime' | 'config' | 'log' | 'trace'>;

type Disposition = 'remove' | 'keep';

/** One wakeup: scan maildrop/ until a scan takes nothing. Returns the files taken. */
export async function pickupScan(context: PickupContext): Promise<number> {
  const queue = context.runtime.queue();
  const directory = `${queue.queueDirectory}/${QueueName.maildrop}`;
  let taken = 0;
  for (let scan = 0; scan < SCANS_PER_WAKEUP_MAX; scan++) {
    let names: string[];
    try {
      names = await queue.fs.readdir(directory);
    } catch (error) {
      context.log.warn(`scan_dir_open: open directory ${QueueName.maildrop}: ${reasonOf(error)}`);
      return taken;
    }
    let removed = 0;
    for (const name of names.slice(0, FILES_PER_SCAN_MAX)) {
      if (await pickupCandidate(context, queue, name) === 'remove') removed += 1;
    }
    taken += removed;
    if (removed === 0) break;
  }
  return taken;
}

/** mail_open_ok, then pickup_file and the removal. */
async function pickupCandidate(context: PickupContext, queue: MailQueue, name: string): Promise<Disposition | 'skipped'> {
  if (!isQueueIdSyntaxOk(name)) return 'skipped';
  const relativePath = `${QueueName.maildrop}/${name}`;
  const path = `${queue.queueDirectory}/${relativePath}`;
  let stat;
  try {
    stat = await queue.fs.lstat(path);
  } catch (error) {
    if (!(error instanceof PlatformError) || error.code !== 'ENOENT') context.log.warn(`${relativePath}: ${reasonOf(error)}`);
    return 'skipped';
  }
  if (!stat.isFile) {
    context.log.warn(`${relativePath}: uid ${stat.uid}: not a regular file`);
    return 'skipped';
  }
  if ((stat.mode & OWNER_BITS) !== OWNER_READY) return 'skipped';
  const owner = await requeuedOwner(context, stat.uid, stat.mode);
  const disposition = await pickupFile(context, { path, relativePath, name, uid: owner ?? stat.uid, requeued: owner !== undefined });
  if (disposition !== 'remove') return disposition;
  try {
    await queue.fs.unlink(path);
  } catch (error) {
    context.log.warn(`remove ${relativePath}: ${reasonOf(error)}`);
    return 'keep';
  }
  return 'remove';
}

/** MAIL_IS_REQUEUED: a file of mail_owner that others may not read. Only the mail system
 *  writes such files into maildrop/ (postdrop's are world-readable), and mtalab's services
 *  run as the host's process user (root in sim) where Postfix's run as mail_owner; so the
 *  permission bits decide, and the logged uid is mail_owner's for a root-owned file, as
 *  Postfix would show it ("uid=102 ... orig_id=..."). */
async function requeuedOwner(context: PickupContext, uid: number, mode: number): Promise<number | undefined> {
  if ((mode & OTHERS_READ) !== 0) return undefined;
  const owner = await lookupUser(context.host.platform.fs, context.config().get('mail_owner') ?? 'postfix');
  return uid === 0 && owner !== undefined ? owner.uid : uid;
}

interface MaildropEntry {
  path: string;
  relativePath: string;
  name: string;
  uid: number;
  requeued: boolean;
}

/** pickup_file + pickup_copy: one file into one cleanup submission. */
async function pickupFile(context: PickupContext, entry: MaildropEntry): Promise<Disposition> {
  const fs = context.runtime.queue().fs;
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(entry.path);
  } catch (error) {
    const code = error instanceof PlatformError ? error.code : undefined;
    if (code !== 'ENOENT') context.log.warn(`open input file ${entry.relativePath}: ${reasonOf(error)}`);
    return code === 'EACCES' ? 'keep' : 'remove';
  }
  const config = context.config();
  const read = await readMaildropFile(bytes, entry.relativePath, Math.max(1, config.getInt('line_length_limit')));
  let cleanup: CleanupEndpoint;
  let stream: CleanupStream;
  try {
    cleanup = context.runtime.cleanup();
    const fromFile = read.message.attributes.find((attribute) => attribute.name === 'rewrite_context')?.value;
    const rewriteContext = fromFile === 'remote' ? 'remote' : 'local';
    stream = await cleanup.open({ service: 'pickup', rewriteContext, uid: entry.uid }, cleanupFlags(context));
  } catch (error) {
    // Postfix's pickup waits for cleanup to come back; the file waits for the next wakeup.
    context.log.warn(`connect to public/${config.get('cleanup_service_name') ?? 'cleanup'}: ${reasonOf(error)}`);
    return 'keep';
  }
  // pickup sends its content_filter ahead of the maildrop file's envelope.
  const contentFilter = config.get('content_filter') ?? '';
  if (contentFilter !== '') stream.setContentFilter?.(contentFilter, { beforeEnvelope: true });
  const { message, failure } = read;
  if (failure?.segment === 'envelope') return malformed(context, entry, stream, failure);
  if (message.sender === undefined) {
    context.log.warn(`${stream.queueId}: uid=${entry.uid}: no envelope sender`);
    await stream.abort();
    return 'remove';
  }
  copyEnvelope(stream, message);
  context.trace({
    kind: 'pickup.accepted', uid: entry.uid, sender: message.sender, queueId: stream.queueId,
    ...(entry.requeued ? { originalQueueId: entry.name } : {}),
  });
  if (failure !== undefined) return malformed(context, entry, stream, failure);
  copyContent(stream, message);
  for (const recipient of message.extractedRecipients) stream.addRecipient(recipient);
  const result = await stream.finish();
  if (result.status === CleanupStatus.ok) return 'remove';
  // cleanup has logged its reason when it gave one; pickup only speaks when it did not.
  if (result.reason === undefined || result.reason === '') {
    context.log.warn(`${entry.relativePath}: error writing ${stream.queueId}: ${cleanupStatusDetail(result.status).text}`);
  }
  return (result.status & (CleanupStatus.bad | CleanupStatus.recipient)) !== 0 ? 'remove' : 'keep';
}

/** CLEANUP_FLAG_BOUNCE plus what receive_override_options turns off (input_transp). */
function cleanupFlags(context: PickupContext): CleanupFlags {
  const overrides = new Set(context.config().getList('receive_override_options'));
  const flags: CleanupFlags = { bounceOnReject: true };
  if (overrides.has('no_header_body_checks')) flags.skipContentChecks = true;
  if (overrides.has('no_address_mappings')) flags.skipAddressMappings = true;
  return flags;
}

async function malformed(context: PickupContext, entry: MaildropEntry, stream: CleanupStream,
  failure: { type: number; detail?: string }): Promise<Disposition> {
  if (failure.detail !== undefined) context.log.warn(failure.detail);
  context.log.warn(`uid=${entry.uid}: unexpected or malformed record type ${failure.type}`);
  await stream.abort();
  return 'remove';
}

/** pickup_copy: full name, sender and attributes in the file's order (cleanup writes them
 *  in the order it gets them), then the recipients. */
function copyEnvelope(stream: CleanupStream, message: MaildropMessage): void {
  if (message.arrivalTime !== undefined) stream.setArrivalTime(message.arrivalTime);
  for (const entry of message.envelope) {
    if (entry.kind === 'fullName') stream.setFullName(entry.value);
    else if (entry.kind === 'sender') stream.setSender(entry.address);
    else stream.setAttribute(entry.name, entry.value);
  }
  for (const recipient of message.recipients) stream.addRecipient(recipient);
}

/** The text, with pickup's guard: content that starts with white space would read as a
 *  continuation of the Received header, so an empty line goes first. */
function copyContent(stream: CleanupStream, message: MaildropMessage): void {
  if (message.firstContentByte === 0x20 || message.firstContentByte === 0x09) stream.addContent(new Uint8Array([0x0a]));
  for (const chunk of message.content) stream.addContent(chunk);
}

function reasonOf(error: unknown): string {
  if (error instanceof PlatformError) return describeCode(error.code);
  return error instanceof Error ? error.message : String(error);
}
