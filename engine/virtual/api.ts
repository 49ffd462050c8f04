// The virtual(8) delivery agent's core: for each recipient of a request, the lower-cased
// address is looked up in virtual_mailbox_maps (virtual(5) order, recipient_delimiter
// extensions stripped); no entry bounces 5.1.1 (unknown user: "address"). The result is a
// path under virtual_mailbox_base: ending in '/' it is a Maildir, else an mbox file. The
// owner comes from virtual_uid_maps (at least virtual_minimum_uid) and virtual_gid_maps
// (above 0); a missing or bad owner, a failed lookup or a table error defers with 4.3.5
// "mail system configuration error" and a warning. Outcomes are logged with
// relay=<service name>: "delivered to maildir", "delivered to mailbox".
// Called by service.ts and tests. Trusts qmgr's request and the tables' contents only as
// far as Postfix does. Models src/virtual/virtual.c (local_deliver), recipient.c,
// mailbox.c (deliver_mailbox) and unknown.c.

import type { DeliveryRequest, DeliveryResult, ServiceContext } from '../master/contracts.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { atol } from '../global/queue/record-text.ts';
import { readMessage } from '../global/mail-copy.ts';
import { ownershipFor } from '../global/ownership.ts';
import { checkRequest, queueFilePathOf, requireQueueFile, RequestOutcome } from '../error/recipient-outcome.ts';
import { readVirtualSettings } from './settings.ts';
import { findAddress, openVirtualTables, type VirtualMaps, type VirtualTables } from './tables.ts';
import { reportBounced, reportDeferred, type MailboxOwner, type RecipientJob } from './recipient.ts';
import { deliverMaildir } from './maildir.ts';
import { deliverMailboxFile } from './mailbox.ts';

const CONFIGURATION_ERROR = { dsn: '4.3.5', reason: 'mail system configuration error' } as const;

/** One virtual agent: its tables are opened once per configuration (Postfix opens them at
 *  process start and restarts the process when main.cf changes). */
export class VirtualAgent {
  private readonly tablesByConfig = new WeakMap<MainConfig, Promise<VirtualTables>>();

  constructor(private readonly context: ServiceContext) {}

  private tables(config: MainConfig): Promise<VirtualTables> {
    let tables = this.tablesByConfig.get(config);
    if (tables === undefined) {
      tables = openVirtualTables(config, this.context.host.platform.fs, this.context.log);
      this.tablesByConfig.set(config, tables);
    }
    return tables;
  }

  /** local_deliver(): every recipient of the request, in order. */
  async deliver(request: DeliveryRequest): Promise<DeliveryResult> {
    const { context } = this;
    const config = context.config();
    const settings = readVirtualSettings(config, context.log);
    checkRequest(context, request);
    await requireQueueFile(context, request, 'deliver_message');
    const tables = await this.tables(config);
    const outcome = new RequestOutcome(context, request);
    const message = await readMessage(context.host.platform.fs, queueFilePathOf(context, request), request.contentOffset);
    if (!message.intact) {
      context.log.warn(`${request.queueId}: bad record type in message content`);
      outcome.noteDeferred();
      return outcome.result();
    }
    const ownership = ownershipFor(context.host.platform.fs);
    for (const recipient of request.recipients) {
      const job: RecipientJob = {
        context, request, settings, message, ownership, outcome, recipient, user: recipient.address.toLowerCase(),
      };
      await deliverRecipient(job, tables);
    }
    return outcome.result();
  }
}

/** deliver_recipient(): the mailbox, else the unknown-user bounce. */
async function deliverRecipient(job: RecipientJob, tables: VirtualTables): Promise<void> {
  const mailbox = await findAddress(tables.mailbox, job.user, tables, job.settings.recipientDelimiter);
  if ('notFound' in mailbox) {
    return reportBounced(job, { dsn: '5.1.1', reason: `unknown user: "${job.user}"` });
  }
  if ('error' in mailbox) {
    job.context.log.warn(`table ${tables.mailbox.title}: lookup ${job.user}: ${mailbox.error.message}`);
    return reportDeferred(job, CONFIGURATION_ERROR);
  }
  const owner = await mailboxOwner(job, tables, `${job.settings.mailboxBase}/${mailbox.found}`);
  if (owner === undefined) return reportDeferred(job, CONFIGURATION_ERROR);
  if (owner.mailbox.endsWith('/')) return deliverMaildir(job, owner);
  return deliverMailboxFile(job, owner);
}

/** The uid and gid for the mailbox, or undefined after Postfix's warning. */
async function mailboxOwner(job: RecipientJob, tables: VirtualTables, mailbox: string): Promise<MailboxOwner | undefined> {
  const uidText = await ownerValue(job, tables, tables.uid);
  if (uidText === undefined) return undefined;
  const uid = atol(uidText);
  if (uid < job.settings.minimumUid) {
    job.context.log.warn(`recipient ${job.user}: bad uid ${uidText} in ${tables.uid.title}`);
    return undefined;
  }
  const gidText = await ownerValue(job, tables, tables.gid);
  if (gidText === undefined) return undefined;
  const gid = atol(gidText);
  if (gid <= 0) {
    job.context.log.warn(`recipient ${job.user}: bad gid ${gidText} in ${tables.gid.title}`);
    return undefined;
  }
  return { mailbox, uid, gid };
}

/** A uid or gid table's answer; "not found" (a failed lookup included) is warned about. */
async function ownerValue(job: RecipientJob, tables: VirtualTables, maps: VirtualMaps): Promise<string | undefined> {
  const result = await findAddress(maps, job.user, tables, job.settings.recipientDelimiter);
  if ('found' in result) return result.found;
  job.context.log.warn(`recipient ${job.user}: not found in ${maps.title}`);
  return undefined;
}
