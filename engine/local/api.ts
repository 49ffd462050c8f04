// local(8)'s callable core: delivers one DeliveryRequest from qmgr. The message content is
// read once from the queue file; then each recipient is delivered with a fresh duplicate
// filter and forwarding table (aliases, .forward, :include:, mailbox, Maildir, /file,
// |command, luser_relay, unknown user), the forwarded copies are queued, and the
// recipient is marked done only when its whole expansion succeeded (deliver_completed),
// so that a partial failure is retried as Postfix retries it. A damaged content segment
// defers the message. Called by service.ts (and by tests with their own dependencies).
// Models local_deliver() in src/local/local.c.

import type { DeliveryRequest, DeliveryResult } from '../master/contracts.ts';
import type { LocalDependencies, LocalState, DeliveryStatus } from './state.ts';
import { NO_USER, STATUS_DEFER, STATUS_OK } from './state.ts';
import { readMessage, scanDeliveredTo, type MessageContent } from '../global/mail-copy.ts';
import { ForwardTable, forwardFinish } from './forward.ts';
import { deliverRecipient } from './recipient.ts';
import { reportDeferred } from './status.ts';

export type { LocalDependencies, StatusSink } from './state.ts';
export { readLocalSettings, type LocalSettings } from './settings.ts';
export { createBuiltinCommandRunner, BUILTIN_COMMANDS, type CommandRunner, type CommandRequest, type CommandOutcome } from './command-runner.ts';
export { ownershipFor, type Ownership } from '../global/ownership.ts';

/** Recipients handled per request at most (local_destination_recipient_limit is 1 by
 *  default; a larger request is still handled, up to this bound). */
export const REQUEST_RECIPIENTS_MAX = 100_000;

function queueFilePath(request: DeliveryRequest, queueDirectory: string): string {
  return request.queuePath.startsWith('/') ? request.queuePath : `${queueDirectory.replace(/\/+$/, '')}/${request.queuePath}`;
}

/** The state a top-level recipient starts from. */
function initialState(deps: LocalDependencies, request: DeliveryRequest, message: MessageContent, deliveredTo: ReadonlySet<string>, index: number): LocalState {
  const recipient = request.recipients[index];
  if (recipient === undefined) throw new RangeError(`no recipient ${index}`);
  return {
    level: 0,
    attr: {
      sender: request.sender, recipient: { ...recipient }, local: '', user: '', relay: deps.serviceName,
      expansionType: 0, dsnEnvelopeId: request.dsnEnvelopeId, dsnReturn: request.dsnReturn,
    },
    shared: { deps, request, message, duplicates: new Set(), deliveredTo, forwards: new ForwardTable() },
  };
}

/** local_deliver(): every recipient of the request. */
export async function deliverLocal(deps: LocalDependencies, request: DeliveryRequest): Promise<DeliveryResult> {
  let message: MessageContent;
  try {
    message = await readMessage(deps.fs, queueFilePath(request, deps.queueDirectory), request.contentOffset);
  } catch (error) {
    deps.log.warn(`${request.queueId}: cannot read queue file: ${String(error)}`);
    message = { lines: [], intact: false };
  }
  const deliveredTo = scanDeliveredTo(message);
  let deferred = false;
  const count = Math.min(request.recipients.length, REQUEST_RECIPIENTS_MAX);
  for (let index = 0; index < count; index++) {
    const state = initialState(deps, request, message, deliveredTo, index);
    let status: DeliveryStatus;
    if (!message.intact) {
      deps.log.warn(`${request.queueId}: bad record type in message content`);
      status = await reportDeferred(state, { dsn: '4.3.0', reason: 'queue file write error' });
    } else {
      status = await deliverRecipient(state, NO_USER);
      status |= await forwardFinish(state, status);
    }
    if (status === STATUS_OK) {
      const original = request.recipients[index];
      if (original !== undefined) await deps.status.completed(request, original);
    } else {
      deferred = true;
    }
  }
  return { deferred: deferred || count < request.recipients.length };
}

export { STATUS_DEFER };
