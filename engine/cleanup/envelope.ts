// The envelope addresses: the sender and each recipient rewritten to canonical form in the
// local context, then (unless address mappings are off) sender/recipient canonical maps,
// canonical_maps and masquerading as their classes say, recipients expanded through
// virtual_alias_maps, duplicates dropped, the original recipient and DSN attributes kept,
// and the automatic BCC recipients (sender_bcc_maps, recipient_bcc_maps, always_bcc,
// header/body check BCC actions) added.
// Called by finish.ts before the content is processed. Trusts the core's tables; a table
// that fails marks the message for a temporary failure, as Postfix's "map lookup problem".
// Models src/cleanup/cleanup_addr.c, cleanup_out_recipient.c and cleanup_extracted.c
// (cleanup_extracted_finish).

import { CleanupStatus, type SubmittedRecipient } from '../master/contracts.ts';
import { MapError, type LookupTable } from '../global/maps/types.ts';
import type { RecipientEntry } from '../global/queue/queue-file.ts';
import { mapAddress, mapOneToOne, mapsTitle, masquerade } from './address-maps.ts';
import { rewriteInternal, type CleanupCore } from './core.ts';
import { expandVirtualAlias } from './virtual-alias.ts';
import type { CleanupState } from './state.ts';
import type { AddressClasses } from './settings.ts';

const MAILER_DAEMON = 'MAILER-DAEMON';
/** DSN NOTIFY=NEVER (dsn.h). */
const DSN_NOTIFY_NEVER = 1;

type ClassName = keyof AddressClasses;

/** A lookup failure: Postfix logs it and answers "try again later" (CLEANUP_STAT_WRITE). */
function lookupProblem(core: CleanupCore, state: CleanupState, title: string, address?: string): void {
  const what = address === undefined ? '' : ` for ${address}`;
  core.log.warn(`${state.queueId}: ${title} map lookup problem${what} -- message not accepted, try again later`);
  state.fail(CleanupStatus.write);
}

async function mapWith(core: CleanupCore, state: CleanupState, address: string, parameter: string,
  tables: readonly LookupTable[], where: 'sender' | 'recipient' | 'header'): Promise<string> {
  if (tables.length === 0) return address;
  const title = mapsTitle(parameter, tables);
  try {
    const mapped = await mapOneToOne(core.mapper, tables, address, core.settings.propagateCanonical, title, state.queueId);
    if (mapped !== address) core.trace(state.queueId, { kind: 'cleanup.address-rewritten', where, table: parameter, from: address, to: [mapped] });
    return mapped;
  } catch (error) {
    if (!(error instanceof MapError)) throw error;
    lookupProblem(core, state, title, address);
    return address;
  }
}

/** Canonical maps and masquerading for one address of one class; used for envelope and
 *  header addresses alike (internal form in and out). */
export async function mapAddressClass(core: CleanupCore, state: CleanupState, address: string, className: ClassName,
  where: 'sender' | 'recipient' | 'header'): Promise<string> {
  if (!state.mappingsEnabled) return address;
  const { settings, tables } = core;
  const isSender = className === 'envelopeSender' || className === 'headerSender';
  let current = address;
  if (isSender && settings.senderCanonicalClasses[className]) {
    current = await mapWith(core, state, current, 'sender_canonical_maps', tables.senderCanonicalMaps, where);
  }
  if (!isSender && settings.recipientCanonicalClasses[className]) {
    current = await mapWith(core, state, current, 'recipient_canonical_maps', tables.recipientCanonicalMaps, where);
  }
  if (settings.canonicalClasses[className]) {
    current = await mapWith(core, state, current, 'canonical_maps', tables.canonicalMaps, where);
  }
  if (settings.masqueradeDomains.length > 0 && settings.masqueradeClasses[className]) {
    try {
      const masked = await masquerade(current, settings.masqueradeDomains, tables.masqueradeExceptions);
      if (masked !== current) core.trace(state.queueId, { kind: 'cleanup.address-rewritten', where, table: 'masquerade_domains', from: current, to: [masked] });
      current = masked;
    } catch (error) {
      if (!(error instanceof MapError)) throw error;
      core.log.info(`${state.queueId}: masquerade_exceptions map lookup problem -- message not accepted, try again later`);
      state.fail(CleanupStatus.write);
    }
  }
  return current;
}

/** cleanup_addr_sender. */
export async function processSender(core: CleanupCore, state: CleanupState): Promise<void> {
  if (state.sender === undefined) {
    core.log.warn(`${state.queueId}: message rejected: missing sender envelope record`);
    state.fail(CleanupStatus.bad);
    return;
  }
  let clean = state.sender === '' ? '' : await rewriteInternal(core.rewrite, 'local', state.sender);
  if (clean.toUpperCase().startsWith(`${MAILER_DAEMON}@`)) {
    const daemon = await rewriteInternal(core.rewrite, 'local', MAILER_DAEMON);
    if (clean.toLowerCase() === daemon.toLowerCase()) clean = '';
  }
  if (clean !== '') clean = await mapAddressClass(core, state, clean, 'envelopeSender', 'sender');
  state.rewrittenSender = clean;
  if (clean !== '' && state.mappingsEnabled) await addBccFromMap(core, state, core.tables.senderBccMaps, 'sender_bcc_maps', clean, state.recipients);
}

/** cleanup_addr_recipient for one submitted recipient (or, `into` the extracted list, one
 *  that smtpd sent in the extracted segment: an access-table BCC). */
export async function processRecipient(core: CleanupCore, state: CleanupState, submitted: SubmittedRecipient,
  into: RecipientEntry[] = state.recipients): Promise<void> {
  const original = submitted.originalRecipient ?? submitted.address;
  const given = submitted.address === '' ? core.settings.emptyAddressRecipient : submitted.address;
  let clean = await rewriteInternal(core.rewrite, 'local', given);
  clean = await mapAddressClass(core, state, clean, 'envelopeRecipient', 'recipient');
  const dsnOriginalRecipient = submitted.dsnOriginalRecipient ?? (clean === '' ? undefined : `rfc822;${clean}`);
  await outputRecipient(core, state, into, {
    address: clean, originalRecipient: original, dsnOriginalRecipient, dsnNotify: submitted.dsnNotify ?? 0,
  });
  state.lastRecipient = clean;
  if (clean !== '' && state.mappingsEnabled) await addBccFromMap(core, state, core.tables.recipientBccMaps, 'recipient_bcc_maps', clean, into);
}

/** cleanup_addr_bcc: a locally supplied recipient, rewritten like an envelope recipient. */
export async function addBccRecipient(core: CleanupCore, state: CleanupState, bcc: string, into: RecipientEntry[]): Promise<void> {
  let clean = await rewriteInternal(core.rewrite, 'local', bcc);
  clean = await mapAddressClass(core, state, clean, 'envelopeRecipient', 'recipient');
  await outputRecipient(core, state, into, { address: clean, originalRecipient: clean, dsnNotify: 0 });
}

async function addBccFromMap(core: CleanupCore, state: CleanupState, tables: readonly LookupTable[], parameter: string,
  address: string, into: RecipientEntry[]): Promise<void> {
  if (tables.length === 0) return;
  let bcc: string | undefined;
  const title = mapsTitle(parameter, tables);
  try {
    bcc = (await mapAddress(core.mapper, tables, address, false, title))?.[0];
  } catch (error) {
    if (!(error instanceof MapError)) throw error;
    lookupProblem(core, state, title);
    return;
  }
  if (bcc !== undefined) await addBccRecipient(core, state, bcc, into);
}

/** smtpd's access-table BCC recipients, which arrive as extracted RCPT records each
 *  followed by "dsn_notify=NEVER": that attribute reaches only the next recipient, so the
 *  first BCC has no NOTIFY and the later ones NEVER, as cleanup_extracted.c reads them. */
export async function addAccessBcc(core: CleanupCore, state: CleanupState): Promise<void> {
  let notify = 0;
  for (const address of state.accessBcc) {
    await processRecipient(core, state, { address, ...(notify === 0 ? {} : { dsnNotify: notify }) }, state.extractedRecipients);
    notify = DSN_NOTIFY_NEVER;
  }
}

/** The recipients added at the end of the extracted segment: header/body check BCC actions
 *  and always_bcc (cleanup_extracted_finish). */
export async function addExtractedBcc(core: CleanupCore, state: CleanupState): Promise<void> {
  if (!state.mappingsEnabled || state.lastRecipient === undefined) return;
  if (core.settings.alwaysBcc !== '') await addBccRecipient(core, state, core.settings.alwaysBcc, state.extractedRecipients);
  if (state.outputOk) {
    for (const bcc of state.headerBcc) await addBccRecipient(core, state, bcc, state.extractedRecipients);
  }
}

/** cleanup_out_recipient: virtual alias expansion, duplicate elimination, output. */
async function outputRecipient(core: CleanupCore, state: CleanupState, into: RecipientEntry[], recipient: Required<Pick<RecipientEntry, 'address' | 'originalRecipient' | 'dsnNotify'>> & RecipientEntry): Promise<void> {
  const addresses = state.mappingsEnabled && core.tables.virtualAliasMaps.length > 0
    ? await expandVirtualAlias(core, state, recipient.address)
    : [recipient.address];
  for (const address of addresses) {
    const key = core.settings.enableOriginalRecipient
      ? `${recipient.dsnOriginalRecipient ?? ''}\n${recipient.dsnNotify}\n${recipient.originalRecipient}\n${address}`
      : address;
    if (state.seenRecipients.has(key)) continue;
    const limit = core.settings.duplicateFilterLimit;
    if (limit <= 0 || state.seenRecipients.size < limit) state.seenRecipients.add(key);
    const entry: RecipientEntry = { address, originalRecipient: recipient.originalRecipient };
    if (recipient.dsnOriginalRecipient) entry.dsnOriginalRecipient = recipient.dsnOriginalRecipient;
    if (recipient.dsnNotify) entry.dsnNotify = recipient.dsnNotify;
    into.push(entry);
  }
}
