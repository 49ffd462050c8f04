// The parameters local(8) reads, gathered once per delivery request from main.cf (with the
// service's -o overrides) into one typed value. Called by api.ts; trusts MainConfig for
// defaults. Raw values (forward_path, mailbox_command, luser_relay,
// command_execution_directory) stay unexpanded: local expands them per recipient with its
// own $user/$home/$extension names, as local.c's CONFIG_RAW_TABLE does.
// localSettingsOf keeps one value per MainConfig (the service's per-request reader).
// Models the parameter tables and local_mask_init() in src/local/local.c.

import type { MainConfig } from '../global/config/main-cf.ts';

/** Expansion types (local.h EXPAND_TYPE_*): where a |command or /file came from. */
export const ExpansionType = { alias: 1, forward: 2, include: 4 } as const;

/** prepend_delivered_header bits (DELIVER_HDR_*). */
export const DeliveredHeader = { command: 1, file: 2, forward: 4 } as const;

/** propagate_unmatched_extensions bits (ext_prop.h). */
export const ExtensionPropagation = { canonical: 1, virtual: 2, alias: 4, forward: 8, include: 16, generic: 32 } as const;

export interface LocalSettings {
  aliasMaps: string[];
  homeMailbox: string;
  mailSpoolDirectory: string;
  mailboxCommand: string;
  mailboxCommandMaps: string[];
  mailboxTransport: string;
  fallbackTransport: string;
  forwardPath: string;
  luserRelay: string;
  recipientDelimiter: string;
  /** allow_mail_to_commands as ExpansionType bits. */
  commandMask: number;
  /** allow_mail_to_files as ExpansionType bits. */
  fileMask: number;
  extensionPropagation: number;
  deliveredHeaderMask: number;
  /** mailbox_size_limit in bytes; 0 means no limit. */
  mailboxSizeLimitBytes: number;
  messageSizeLimitBytes: number;
  useDotLock: boolean;
  /** stale_lock_time: a dot-lock older than this is broken. */
  staleLockSeconds: number;
  frozenDeliveredTo: boolean;
  resetOwnerAlias: boolean;
  expandOwnerAlias: boolean;
  ownerRequestSpecial: boolean;
  strictMailboxOwnership: boolean;
  enableOriginalRecipient: boolean;
  duplicateFilterLimit: number;
  commandTimeLimitSeconds: number;
  commandExpansionFilter: string;
  forwardExpansionFilter: string;
  localCommandShell: string;
  commandExecutionDirectory: string;
  defaultPrivileges: string;
  myHostname: string;
  mailName: string;
}

function maskOf(words: string[], table: Record<string, number>): number {
  let mask = 0;
  for (const word of words) mask |= table[word.toLowerCase()] ?? 0;
  return mask;
}

const settingsByConfig = new WeakMap<MainConfig, LocalSettings>();

/** The settings of one configuration, read on its first delivery request and kept while the
 *  service runs with it: a MainConfig never changes (a reload makes a new one), as local(8)
 *  reads its parameters once at process start. Callers must not modify the value. */
export function localSettingsOf(config: MainConfig): LocalSettings {
  let settings = settingsByConfig.get(config);
  if (settings === undefined) {
    settings = readLocalSettings(config);
    settingsByConfig.set(config, settings);
  }
  return settings;
}

/** Reads every parameter local(8) uses. */
export function readLocalSettings(config: MainConfig): LocalSettings {
  const raw = (name: string): string => config.getRaw(name) ?? '';
  const text = (name: string): string => config.get(name) ?? '';
  const lockMethods = config.getList('mailbox_delivery_lock').map((word) => word.toLowerCase());
  return {
    aliasMaps: config.getList('alias_maps'),
    homeMailbox: text('home_mailbox'),
    mailSpoolDirectory: text('mail_spool_directory'),
    mailboxCommand: raw('mailbox_command'),
    mailboxCommandMaps: config.getList('mailbox_command_maps'),
    mailboxTransport: text('mailbox_transport'),
    fallbackTransport: text('fallback_transport'),
    forwardPath: raw('forward_path'),
    luserRelay: raw('luser_relay'),
    recipientDelimiter: text('recipient_delimiter'),
    commandMask: maskOf(config.getList('allow_mail_to_commands'), ExpansionType),
    fileMask: maskOf(config.getList('allow_mail_to_files'), ExpansionType),
    extensionPropagation: maskOf(config.getList('propagate_unmatched_extensions'), ExtensionPropagation),
    deliveredHeaderMask: maskOf(config.getList('prepend_delivered_header'), DeliveredHeader),
    mailboxSizeLimitBytes: config.getSize('mailbox_size_limit'),
    messageSizeLimitBytes: config.getSize('message_size_limit'),
    useDotLock: lockMethods.includes('dotlock'),
    staleLockSeconds: config.getTimeSeconds('stale_lock_time'),
    frozenDeliveredTo: config.getBool('frozen_delivered_to'),
    resetOwnerAlias: config.getBool('reset_owner_alias'),
    expandOwnerAlias: config.getBool('expand_owner_alias'),
    ownerRequestSpecial: config.getBool('owner_request_special'),
    strictMailboxOwnership: config.getBool('strict_mailbox_ownership'),
    enableOriginalRecipient: config.getBool('enable_original_recipient'),
    duplicateFilterLimit: config.getInt('duplicate_filter_limit'),
    commandTimeLimitSeconds: config.getTimeSeconds('command_time_limit'),
    commandExpansionFilter: text('command_expansion_filter'),
    forwardExpansionFilter: text('forward_expansion_filter'),
    localCommandShell: text('local_command_shell'),
    commandExecutionDirectory: raw('command_execution_directory'),
    defaultPrivileges: text('default_privs'),
    myHostname: text('myhostname'),
    mailName: text('mail_name'),
  };
}
