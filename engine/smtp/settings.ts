// The parameters the smtp(8)/lmtp(8) client reads, in one typed value. One program serves
// both protocols, as in Postfix: the SMTP variant reads smtp_* names, the LMTP variant the
// lmtp_* names (lmtp_lhlo_name, lmtp_lhlo_timeout, lmtp_discard_lhlo_keywords where LMTP's
// greeting command differs). Called by api.ts at the start of every delivery request
// through clientSettingsOf, which reads them once per MainConfig (a reload or a master.cf
// -o override gives a new one, so it takes effect). Trusts MainConfig's conversions and
// defaults. Models the parameter tables of src/smtp/smtp.c and lmtp_params.c.

import type { MainConfig } from '../global/config/main-cf.ts';

export type ClientProtocol = 'smtp' | 'lmtp';

export interface ClientTimeouts {
  connectSeconds: number;
  heloSeconds: number;
  mailSeconds: number;
  rcptSeconds: number;
  dataInitSeconds: number;
  dataTransferSeconds: number;
  dataDoneSeconds: number;
  rsetSeconds: number;
  quitSeconds: number;
}

export interface ClientSettings {
  protocol: ClientProtocol;
  timeouts: ClientTimeouts;
  heloName: string;
  myhostname: string;
  /** The default port when the nexthop names none (smtp_tcp_port, lmtp_tcp_port). */
  defaultPort: string;
  hostLookup: { dns: boolean; native: boolean };
  /** smtp_dns_support_level (or disable_dns_lookups when it is empty). */
  dnsSupport: 'disabled' | 'enabled' | 'dnssec';
  fallbackRelays: string[];
  relayhost: string;
  skipQuitResponse: boolean;
  alwaysSendEhlo: boolean;
  neverSendEhlo: boolean;
  discardEhloKeywords: Set<string>;
  mxAddressLimit: number;
  mxSessionLimit: number;
  skip5xxGreeting: boolean;
  /** smtp_line_length_limit: longer content lines are broken with CRLF SPACE; 0 = none. */
  lineLengthLimit: number;
  /** line_length_limit: server reply lines longer than this are cut. */
  replyLineLimit: number;
  deferIfNoMxAddress: boolean;
  ignoreMxLookupError: boolean;
  randomizeAddresses: boolean;
  quoteEnvelope: boolean;
  bindAddress: string;
  /** lmtp_assume_final: an LMTP 250 without DSN support counts as final delivery. */
  assumeFinal: boolean;
  ipv6: boolean;
  ipv4: boolean;
  connectionCache: ConnectionCacheSettings;
}

/** smtp_connection_cache_* and smtp_connection_reuse_* (lmtp_* for LMTP). */
export interface ConnectionCacheSettings {
  /** smtp_connection_cache_on_demand: cache when qmgr asks (deliveries back to back). */
  onDemand: boolean;
  /** smtp_connection_cache_destinations: always cache for these (lowercased). */
  destinations: string[];
  /** smtp_connection_cache_time_limit: how long an idle connection is kept. */
  idleSeconds: number;
  /** smtp_connection_reuse_time_limit: no caching once a connection is this old. */
  reuseSeconds: number;
  /** smtp_connection_reuse_count_limit: uses of one connection; 0 = no limit. */
  reuseCountLimit: number;
}

/** "smtp" as getservbyname knows it, and the other names Postfix's filter_known_tcp_port
 *  resolves without /etc/services. */
export const KNOWN_PORTS: Readonly<Record<string, number>> = {
  smtp: 25, lmtp: 24, submission: 587, smtps: 465, submissions: 465,
};

const settingsByConfig = new WeakMap<MainConfig, { smtp?: ClientSettings; lmtp?: ClientSettings }>();

/** The settings of one configuration and protocol, read on the first request and kept while
 *  the service runs with that MainConfig (it never changes: a reload or an -o override
 *  makes a new one), as smtp(8) reads its parameters once at process start. Callers must
 *  not modify the value. */
export function clientSettingsOf(config: MainConfig, protocol: ClientProtocol): ClientSettings {
  let byProtocol = settingsByConfig.get(config);
  if (byProtocol === undefined) {
    byProtocol = {};
    settingsByConfig.set(config, byProtocol);
  }
  let settings = byProtocol[protocol];
  if (settings === undefined) {
    settings = readClientSettings(config, protocol);
    byProtocol[protocol] = settings;
  }
  return settings;
}

export function readClientSettings(config: MainConfig, protocol: ClientProtocol): ClientSettings {
  const prefixed = (name: string): string => `${protocol}_${name}`;
  const helo = protocol === 'smtp' ? 'helo' : 'lhlo';
  const time = (name: string): number => config.getTimeSeconds(prefixed(name));
  const dnsLevel = (config.get(prefixed('dns_support_level')) ?? '').trim().toLowerCase();
  const dnsSupport = dnsLevel === 'disabled' || dnsLevel === 'dnssec' || dnsLevel === 'enabled'
    ? dnsLevel
    : config.getBool('disable_dns_lookups') ? 'disabled' : 'enabled';
  const lookupWords = config.getList(prefixed('host_lookup')).map((word) => word.toLowerCase());
  const protocols = config.getList('inet_protocols').map((word) => word.toLowerCase());
  const all = protocols.includes('all');
  return {
    protocol,
    timeouts: {
      connectSeconds: time('connect_timeout'),
      heloSeconds: time(`${helo}_timeout`),
      mailSeconds: time('mail_timeout'),
      rcptSeconds: time('rcpt_timeout'),
      dataInitSeconds: time('data_init_timeout'),
      dataTransferSeconds: time('data_xfer_timeout'),
      dataDoneSeconds: time('data_done_timeout'),
      rsetSeconds: time('rset_timeout'),
      quitSeconds: time('quit_timeout'),
    },
    heloName: config.get(prefixed(`${helo}_name`)) ?? config.get('myhostname') ?? 'localhost',
    myhostname: config.get('myhostname') ?? 'localhost',
    defaultPort: config.get(prefixed('tcp_port')) ?? (protocol === 'smtp' ? 'smtp' : '24'),
    hostLookup: { dns: lookupWords.includes('dns'), native: lookupWords.includes('native') },
    dnsSupport,
    fallbackRelays: config.getList(prefixed('fallback_relay')),
    relayhost: (config.get('relayhost') ?? '').trim(),
    skipQuitResponse: config.getBool(prefixed('skip_quit_response')),
    alwaysSendEhlo: protocol === 'smtp' ? config.getBool('smtp_always_send_ehlo') : true,
    neverSendEhlo: protocol === 'smtp' ? config.getBool('smtp_never_send_ehlo') : false,
    discardEhloKeywords: new Set(config.getList(prefixed(`discard_${protocol === 'smtp' ? 'ehlo' : 'lhlo'}_keywords`))
      .map((word) => word.toLowerCase())),
    mxAddressLimit: config.getInt(prefixed('mx_address_limit')),
    mxSessionLimit: config.getInt(prefixed('mx_session_limit')),
    skip5xxGreeting: config.getBool(prefixed('skip_5xx_greeting')),
    lineLengthLimit: config.getInt(prefixed('line_length_limit')),
    replyLineLimit: config.getInt('line_length_limit'),
    deferIfNoMxAddress: config.getBool(prefixed('defer_if_no_mx_address_found')),
    ignoreMxLookupError: config.getBool('ignore_mx_lookup_error'),
    randomizeAddresses: config.getBool(prefixed('randomize_addresses')),
    quoteEnvelope: config.getBool(prefixed('quote_rfc821_envelope')),
    bindAddress: (config.get(prefixed('bind_address')) ?? '').trim(),
    assumeFinal: protocol === 'lmtp' ? config.getBool('lmtp_assume_final') : false,
    ipv4: all || protocols.includes('ipv4') || protocols.length === 0,
    ipv6: all || protocols.includes('ipv6'),
    connectionCache: {
      onDemand: config.getBool(prefixed('connection_cache_on_demand')),
      destinations: config.getList(prefixed('connection_cache_destinations')).map((word) => word.toLowerCase()),
      idleSeconds: time('connection_cache_time_limit'),
      reuseSeconds: time('connection_reuse_time_limit'),
      reuseCountLimit: config.getInt(prefixed('connection_reuse_count_limit')),
    },
  };
}
