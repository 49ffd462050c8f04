// smtpd's parameters, read once from main.cf (with the service's -o overrides) into one
// typed value, as smtpd's main() does through its configuration tables. Restriction lists
// stay lists of words; tables are opened by checks/tables.ts.
// Called by service.ts at start and reload, and by tests. Trusts MainConfig for defaults.
// Models the VAR_* tables of src/smtpd/smtpd.c (Postfix 3.7).

import type { MainConfig } from '../global/config/main-cf.ts';

export type BareNewlineMode = 'no' | 'normalize' | 'yes' | 'reject';

/** The address families of inet_protocols. */
export interface InetProtocols { ipv4: boolean; ipv6: boolean }

/** inet_protocols' words ("all", "ipv4", "ipv6") as families. */
export function readInetProtocols(value: readonly string[]): InetProtocols {
  const words = value.map((word) => word.toLowerCase());
  const all = words.includes('all');
  return { ipv4: all || words.includes('ipv4'), ipv6: all || words.includes('ipv6') };
}

export interface SmtpdSettings {
  /** content_filter: sent to cleanup with every message ("" for none). */
  contentFilter: string;
  myhostname: string;
  banner: string;
  messageSizeLimit: number;
  lineLengthLimit: number;
  recipientLimit: number;
  recipientOvershootLimit: number;
  timeoutMs: number;
  errorSleepMs: number;
  softErrorLimit: number;
  hardErrorLimit: number;
  junkCommandLimit: number;
  heloRequired: boolean;
  delayReject: boolean;
  disableVrfy: boolean;
  smtputf8Enable: boolean;
  strictRfc821Envelopes: boolean;
  discardEhloKeywords: string[];
  forbidUnauthPipelining: boolean;
  forbidBareNewline: BareNewlineMode;
  forbidBareNewlineExclusions: string;
  forbidBareNewlineRejectCode: number;
  forbiddenCommands: string;
  /** smtpd_client_port_logging: "name[addr]:port" where Postfix builds a client's namaddr. */
  clientPortLogging?: boolean;
  /** inet_protocols as the address families smtpd accepts in XFORWARD ADDR (inet_proto_info();
   *  "all" counts as both, as on a host with IPv6); absent: both. */
  inetProtocols?: InetProtocols;
  noopCommands: string[];
  rejectUnlistedRecipient: boolean;
  rejectUnlistedSender: boolean;
  relayBeforeRecipientRestrictions: boolean;
  softBounce: boolean;
  restrictions: {
    client: string[];
    helo: string[];
    sender: string[];
    relay: string[];
    recipient: string[];
    data: string[];
    endOfData: string[];
    etrn: string[];
  };
  restrictionClasses: string[];
  codes: {
    reject: number;
    defer: number;
    relayDomainsReject: number;
    accessMapReject: number;
    accessMapDefer: number;
    unknownAddress: number;
    unknownClient: number;
    unknownHostname: number;
    invalidHostname: number;
    nonFqdn: number;
    unknownLocalRecipient: number;
    unknownVirtualAlias: number;
    unknownVirtualMailbox: number;
    unknownRelayRecipient: number;
    mapsRbl: number;
    multiRecipientBounce: number;
    plaintext: number;
  };
  showUnknownRecipientTable: boolean;
  allowUntrustedRouting: boolean;
  nullAccessLookupKey: string;
  defaultRblReply: string;
  doubleBounceSender: string;
  parentDomainMatchesSubdomains: string[];
  recipientDelimiter: string;
  mynetworks: string;
  mynetworksStyle: string;
  clientConnectionCountLimit: number;
}

const text = (config: MainConfig, name: string, fallback = ''): string => config.get(name) ?? fallback;

function bareNewlineMode(value: string): BareNewlineMode {
  const lower = value.toLowerCase();
  return lower === 'normalize' || lower === 'yes' || lower === 'reject' ? lower : 'no';
}

export function readSmtpdSettings(config: MainConfig): SmtpdSettings {
  const int = (name: string): number => config.getInt(name);
  return {
    contentFilter: config.get('content_filter') ?? '',
    myhostname: text(config, 'myhostname', 'localhost'),
    banner: text(config, 'smtpd_banner', `${text(config, 'myhostname')} ESMTP Postfix`),
    messageSizeLimit: config.getSize('message_size_limit'),
    lineLengthLimit: int('line_length_limit'),
    recipientLimit: int('smtpd_recipient_limit'),
    recipientOvershootLimit: int('smtpd_recipient_overshoot_limit'),
    timeoutMs: config.getTimeSeconds('smtpd_timeout') * 1000,
    errorSleepMs: config.getTimeSeconds('smtpd_error_sleep_time') * 1000,
    softErrorLimit: int('smtpd_soft_error_limit'),
    hardErrorLimit: int('smtpd_hard_error_limit'),
    junkCommandLimit: int('smtpd_junk_command_limit'),
    heloRequired: config.getBool('smtpd_helo_required'),
    delayReject: config.getBool('smtpd_delay_reject'),
    disableVrfy: config.getBool('disable_vrfy_command'),
    smtputf8Enable: config.getBool('smtputf8_enable'),
    strictRfc821Envelopes: config.getBool('strict_rfc821_envelopes'),
    discardEhloKeywords: config.getList('smtpd_discard_ehlo_keywords'),
    forbidUnauthPipelining: config.getBool('smtpd_forbid_unauth_pipelining'),
    forbidBareNewline: bareNewlineMode(text(config, 'smtpd_forbid_bare_newline', 'no')),
    forbidBareNewlineExclusions: text(config, 'smtpd_forbid_bare_newline_exclusions'),
    forbidBareNewlineRejectCode: int('smtpd_forbid_bare_newline_reject_code'),
    forbiddenCommands: text(config, 'smtpd_forbidden_commands'),
    clientPortLogging: config.getBool('smtpd_client_port_logging'),
    inetProtocols: readInetProtocols(config.getList('inet_protocols')),
    noopCommands: config.getList('smtpd_noop_commands'),
    rejectUnlistedRecipient: config.getBool('smtpd_reject_unlisted_recipient'),
    rejectUnlistedSender: config.getBool('smtpd_reject_unlisted_sender'),
    relayBeforeRecipientRestrictions: config.getBool('smtpd_relay_before_recipient_restrictions'),
    softBounce: config.getBool('soft_bounce'),
    restrictions: {
      client: config.getList('smtpd_client_restrictions'),
      helo: config.getList('smtpd_helo_restrictions'),
      sender: config.getList('smtpd_sender_restrictions'),
      relay: config.getList('smtpd_relay_restrictions'),
      recipient: config.getList('smtpd_recipient_restrictions'),
      data: config.getList('smtpd_data_restrictions'),
      endOfData: config.getList('smtpd_end_of_data_restrictions'),
      etrn: config.getList('smtpd_etrn_restrictions'),
    },
    restrictionClasses: config.getList('smtpd_restriction_classes'),
    codes: {
      reject: int('reject_code'),
      defer: int('defer_code'),
      relayDomainsReject: int('relay_domains_reject_code'),
      accessMapReject: int('access_map_reject_code'),
      accessMapDefer: int('access_map_defer_code'),
      unknownAddress: int('unknown_address_reject_code'),
      unknownClient: int('unknown_client_reject_code'),
      unknownHostname: int('unknown_hostname_reject_code'),
      invalidHostname: int('invalid_hostname_reject_code'),
      nonFqdn: int('non_fqdn_reject_code'),
      unknownLocalRecipient: int('unknown_local_recipient_reject_code'),
      unknownVirtualAlias: int('unknown_virtual_alias_reject_code'),
      unknownVirtualMailbox: int('unknown_virtual_mailbox_reject_code'),
      unknownRelayRecipient: int('unknown_relay_recipient_reject_code'),
      mapsRbl: int('maps_rbl_reject_code'),
      multiRecipientBounce: int('multi_recipient_bounce_reject_code'),
      plaintext: int('plaintext_reject_code'),
    },
    showUnknownRecipientTable: config.getBool('show_user_unknown_table_name'),
    allowUntrustedRouting: config.getBool('allow_untrusted_routing'),
    nullAccessLookupKey: text(config, 'smtpd_null_access_lookup_key', '<>'),
    defaultRblReply: config.getRaw('default_rbl_reply') ?? '$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}',
    doubleBounceSender: text(config, 'double_bounce_sender', 'double-bounce'),
    parentDomainMatchesSubdomains: config.getList('parent_domain_matches_subdomains'),
    recipientDelimiter: text(config, 'recipient_delimiter'),
    mynetworks: text(config, 'mynetworks'),
    mynetworksStyle: text(config, 'mynetworks_style', 'host'),
    clientConnectionCountLimit: int('smtpd_client_connection_count_limit'),
  };
}
