// The parameters cleanup(8) reads and the tables it opens, taken once from main.cf into plain
// values (as Postfix's cleanup copies var_* at start and again at reload): canonical maps
// with their classes, masquerading, virtual aliases, the content checks, the limits and the
// header options. A table that cannot be opened becomes a surrogate that fails each lookup
// (allowSurrogate), so the message is deferred rather than cleanup dying.
// Called by api.ts (openCleanupCore). Trusts MainConfig (H1) and engine/global/maps/maps.ts (maps_create).
// Models src/cleanup/cleanup_init.c (the CONFIG_*_TABLE lists and cleanup_pre_jail /
// cleanup_post_jail) and src/global/header_opts.c (header_drop_init).

import type { MainConfig } from '../global/config/main-cf.ts';
import type { LookupTable, MapContext } from '../global/maps/index.ts';
import { openMaps } from '../global/maps/maps.ts';
import { openMatchList, type MatchList } from '../global/address/match-list.ts';

/** Where a canonical or masquerade class applies (CLEANUP_CANON_FLAG_*). */
export interface AddressClasses {
  envelopeSender: boolean;
  envelopeRecipient: boolean;
  headerSender: boolean;
  headerRecipient: boolean;
}

export interface CleanupSettings {
  myhostname: string;
  myorigin: string;
  longQueueIds: boolean;
  hopcountLimit: number;
  /** message_size_limit in bytes; 0 means no limit. */
  messageSizeLimit: number;
  headerSizeLimit: number;
  lineLengthLimit: number;
  /** cleanup_replace_stray_cr_lf: a CR left inside a content line becomes a space. */
  replaceStrayCrLf: boolean;
  bodyChecksSizeLimit: number;
  duplicateFilterLimit: number;
  enableOriginalRecipient: boolean;
  virtualAliasRecursionLimit: number;
  virtualAliasExpansionLimit: number;
  virtualAliasAddressLengthLimit: number;
  recipientDelimiter: string;
  propagateCanonical: boolean;
  propagateVirtual: boolean;
  alwaysAddMissingHeaders: boolean;
  undisclosedRecipientsHeader: string;
  remoteHeaderRewriteDomain: string;
  /** header_from_format: 'standard' ("Name <addr>") or 'obsolete' ("addr (Name)"). */
  headerFromFormat: 'standard' | 'obsolete';
  emptyAddressRecipient: string;
  delayWarningTimeSeconds: number;
  /** Lower-case header names that message_drop_headers removes. */
  dropHeaders: ReadonlySet<string>;
  masqueradeDomains: string[];
  canonicalClasses: AddressClasses;
  senderCanonicalClasses: AddressClasses;
  recipientCanonicalClasses: AddressClasses;
  masqueradeClasses: AddressClasses;
  alwaysBcc: string;
}

export interface CleanupTables {
  canonicalMaps: LookupTable[];
  senderCanonicalMaps: LookupTable[];
  recipientCanonicalMaps: LookupTable[];
  virtualAliasMaps: LookupTable[];
  headerChecks: LookupTable[];
  mimeHeaderChecks: LookupTable[];
  nestedHeaderChecks: LookupTable[];
  bodyChecks: LookupTable[];
  senderBccMaps: LookupTable[];
  recipientBccMaps: LookupTable[];
  masqueradeExceptions: MatchList | undefined;
  /** mydestination, for the "user" key of local domains in canonical/virtual lookups. */
  mydestination: MatchList;
}

function classes(config: MainConfig, name: string): AddressClasses {
  const words = new Set(config.getList(name).map((word) => word.toLowerCase()));
  return {
    envelopeSender: words.has('envelope_sender'),
    envelopeRecipient: words.has('envelope_recipient'),
    headerSender: words.has('header_sender'),
    headerRecipient: words.has('header_recipient'),
  };
}

const getText = (config: MainConfig, name: string): string => config.get(name) ?? '';

export function readCleanupSettings(config: MainConfig): CleanupSettings {
  const propagate = new Set(config.getList('propagate_unmatched_extensions').map((word) => word.toLowerCase()));
  return {
    myhostname: getText(config, 'myhostname'),
    myorigin: getText(config, 'myorigin'),
    longQueueIds: config.getBool('enable_long_queue_ids'),
    hopcountLimit: config.getInt('hopcount_limit'),
    messageSizeLimit: config.getSize('message_size_limit'),
    headerSizeLimit: config.getInt('header_size_limit'),
    lineLengthLimit: config.getInt('line_length_limit'),
    replaceStrayCrLf: config.getBool('cleanup_replace_stray_cr_lf'),
    bodyChecksSizeLimit: config.getInt('body_checks_size_limit'),
    duplicateFilterLimit: config.getInt('duplicate_filter_limit'),
    enableOriginalRecipient: config.getBool('enable_original_recipient'),
    virtualAliasRecursionLimit: config.getInt('virtual_alias_recursion_limit'),
    virtualAliasExpansionLimit: config.getInt('virtual_alias_expansion_limit'),
    virtualAliasAddressLengthLimit: config.getInt('virtual_alias_address_length_limit'),
    recipientDelimiter: getText(config, 'recipient_delimiter'),
    propagateCanonical: propagate.has('canonical'),
    propagateVirtual: propagate.has('virtual'),
    alwaysAddMissingHeaders: config.getBool('always_add_missing_headers'),
    undisclosedRecipientsHeader: getText(config, 'undisclosed_recipients_header'),
    remoteHeaderRewriteDomain: getText(config, 'remote_header_rewrite_domain'),
    headerFromFormat: getText(config, 'header_from_format').toLowerCase() === 'obsolete' ? 'obsolete' : 'standard',
    emptyAddressRecipient: getText(config, 'empty_address_recipient'),
    delayWarningTimeSeconds: config.getTimeSeconds('delay_warning_time'),
    dropHeaders: new Set(config.getList('message_drop_headers').map((name) => name.toLowerCase())),
    masqueradeDomains: config.getList('masquerade_domains'),
    canonicalClasses: classes(config, 'canonical_classes'),
    senderCanonicalClasses: classes(config, 'sender_canonical_classes'),
    recipientCanonicalClasses: classes(config, 'recipient_canonical_classes'),
    masqueradeClasses: classes(config, 'masquerade_classes'),
    alwaysBcc: getText(config, 'always_bcc'),
  };
}

function openTables(config: MainConfig, name: string, context: MapContext): Promise<LookupTable[]> {
  return openMaps(config.get(name) ?? '', context);
}

export async function openCleanupTables(config: MainConfig, context: MapContext): Promise<CleanupTables> {
  const exceptions = getText(config, 'masquerade_exceptions');
  return {
    canonicalMaps: await openTables(config, 'canonical_maps', context),
    senderCanonicalMaps: await openTables(config, 'sender_canonical_maps', context),
    recipientCanonicalMaps: await openTables(config, 'recipient_canonical_maps', context),
    virtualAliasMaps: await openTables(config, 'virtual_alias_maps', context),
    headerChecks: await openTables(config, 'header_checks', context),
    mimeHeaderChecks: await openTables(config, 'mime_header_checks', context),
    nestedHeaderChecks: await openTables(config, 'nested_header_checks', context),
    bodyChecks: await openTables(config, 'body_checks', context),
    senderBccMaps: await openTables(config, 'sender_bcc_maps', context),
    recipientBccMaps: await openTables(config, 'recipient_bcc_maps', context),
    masqueradeExceptions: exceptions.trim() === '' ? undefined
      : await openMatchList({ parameterName: 'masquerade_exceptions', value: exceptions, kind: 'string', context }),
    mydestination: await openMatchList({ parameterName: 'mydestination', value: getText(config, 'mydestination'), kind: 'domain', context }),
  };
}
