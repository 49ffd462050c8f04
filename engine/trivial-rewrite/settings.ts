// The parameters trivial-rewrite reads, taken once from main.cf into plain values (as
// Postfix's daemons copy var_* at start and again at reload). Two resolver contexts share
// one table of names: the regular one, and address verification's ("sendmail -bv",
// verify probes), whose parameters default to the regular ones.
// Called by api.ts; tests may build the settings by hand. Trusts MainConfig's getters,
// which already give Postfix's fatal for a bad boolean. Models the CONFIG_*_TABLE of
// src/trivial-rewrite/trivial-rewrite.c and the RES_CONTEXT/RWR_CONTEXT structures.

import type { MainConfig } from '../global/config/main-cf.ts';

/** What the rewrite step (rewrite.ts) needs. */
export interface RewriteSettings {
  swapBangpath: boolean;
  allowPercentHack: boolean;
  appendAtMyorigin: boolean;
  appendDotMydomain: boolean;
  myorigin: string;
  mydomain: string;
  /** The "remote" context appends this domain instead of $myorigin/$mydomain (empty:
   *  no appending at all). */
  remoteHeaderRewriteDomain: string;
  /** compatibility_level < 1 and append_dot_mydomain left at its default: Postfix logs
   *  each rewrite that only happens because of the old default. */
  warnCompatibilityAppendDotMydomain: boolean;
}

/** The parameters of one resolver context (regular or address verification). */
export interface ResolverContextSettings {
  localTransport: { name: string; value: string };
  virtualTransport: { name: string; value: string };
  relayTransport: { name: string; value: string };
  defaultTransport: { name: string; value: string };
  relayhost: string;
  transportMaps: { name: string; value: string };
  senderDependentDefaultTransportMaps: { name: string; value: string };
  senderDependentRelayhostMaps: { name: string; value: string };
}

/** Everything resolve.ts reads besides the tables. */
export interface ResolveSettings {
  rewrite: RewriteSettings;
  myhostname: string;
  configDirectory: string;
  recipientDelimiter: string;
  resolveDequotedAddress: boolean;
  resolveNullDomain: boolean;
  resolveNumericDomain: boolean;
  emptyAddressRecipient: string;
  showUserUnknownTableName: boolean;
  helpfulWarnings: boolean;
  allowMinUser: boolean;
  smtputf8Enable: boolean;
  emptyAddressDefaultTransportMapsLookupKey: string;
  emptyAddressRelayhostMapsLookupKey: string;
  regular: ResolverContextSettings;
  verify: ResolverContextSettings;
}

const contextNames = {
  regular: {
    local: 'local_transport', virtual: 'virtual_transport', relay: 'relay_transport', default: 'default_transport',
    relayhost: 'relayhost', transportMaps: 'transport_maps',
    senderDefault: 'sender_dependent_default_transport_maps', senderRelayhost: 'sender_dependent_relayhost_maps',
  },
  verify: {
    local: 'address_verify_local_transport', virtual: 'address_verify_virtual_transport',
    relay: 'address_verify_relay_transport', default: 'address_verify_default_transport',
    relayhost: 'address_verify_relayhost', transportMaps: 'address_verify_transport_maps',
    senderDefault: 'address_verify_sender_dependent_default_transport_maps',
    senderRelayhost: 'address_verify_sender_dependent_relayhost_maps',
  },
} as const;

function readContext(config: MainConfig, which: 'regular' | 'verify'): ResolverContextSettings {
  const names = contextNames[which];
  const named = (name: string): { name: string; value: string } => ({ name, value: config.get(name) ?? '' });
  return {
    localTransport: named(names.local),
    virtualTransport: named(names.virtual),
    relayTransport: named(names.relay),
    defaultTransport: named(names.default),
    relayhost: config.get(names.relayhost) ?? '',
    transportMaps: named(names.transportMaps),
    senderDependentDefaultTransportMaps: named(names.senderDefault),
    senderDependentRelayhostMaps: named(names.senderRelayhost),
  };
}

/** compatibility_level below 1 ("0", "0.5"), as Postfix's compatibility test reads it. */
function compatibilityBelowOne(config: MainConfig): boolean {
  const level = Number.parseFloat(config.get('compatibility_level') ?? '0');
  return Number.isFinite(level) && level < 1;
}

export function readRewriteSettings(config: MainConfig): RewriteSettings {
  return {
    swapBangpath: config.getBool('swap_bangpath'),
    allowPercentHack: config.getBool('allow_percent_hack'),
    appendAtMyorigin: config.getBool('append_at_myorigin'),
    appendDotMydomain: config.getBool('append_dot_mydomain'),
    myorigin: config.get('myorigin') ?? '',
    mydomain: config.get('mydomain') ?? '',
    remoteHeaderRewriteDomain: config.get('remote_header_rewrite_domain') ?? '',
    warnCompatibilityAppendDotMydomain: compatibilityBelowOne(config) && !config.isSet('append_dot_mydomain'),
  };
}

export function readResolveSettings(config: MainConfig): ResolveSettings {
  return {
    rewrite: readRewriteSettings(config),
    myhostname: config.get('myhostname') ?? '',
    configDirectory: config.configDirectory,
    recipientDelimiter: config.get('recipient_delimiter') ?? '',
    resolveDequotedAddress: config.getBool('resolve_dequoted_address'),
    resolveNullDomain: config.getBool('resolve_null_domain'),
    resolveNumericDomain: config.getBool('resolve_numeric_domain'),
    emptyAddressRecipient: config.get('empty_address_recipient') ?? 'MAILER-DAEMON',
    showUserUnknownTableName: config.getBool('show_user_unknown_table_name'),
    helpfulWarnings: config.getBool('helpful_warnings'),
    allowMinUser: config.getBool('allow_min_user'),
    smtputf8Enable: config.getBool('smtputf8_enable'),
    emptyAddressDefaultTransportMapsLookupKey: config.get('empty_address_default_transport_maps_lookup_key') ?? '<>',
    emptyAddressRelayhostMapsLookupKey: config.get('empty_address_relayhost_maps_lookup_key') ?? '<>',
    regular: readContext(config, 'regular'),
    verify: readContext(config, 'verify'),
  };
}
