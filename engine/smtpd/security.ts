// smtpd's TLS, SASL, client-limit and policy settings, read from main.cf with the tables
// and files they name opened once (at start and after a reload), next to the settings of
// settings.ts: smtpd_tls_security_level (or the older smtpd_use_tls/smtpd_enforce_tls),
// the certificate and key read through the platform's file system, smtpd_tls_auth_only,
// smtpd_sasl_auth_enable with mtalab's own password table (engine/global/sasl/passwords.ts),
// the smtpd_client_*_limit values for anvil with smtpd_client_event_limit_exceptions, and
// smtpd_sender_login_maps. A certificate that cannot be read leaves TLS off with Postfix's
// warning, as a Postfix without server certificates does.
// Called by environment.ts. Models smtpd's pre_jail_init() TLS/SASL set-up (smtpd.c).

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';
import type { LookupTable, MapContext } from '../global/maps/index.ts';
import { openSaslPasswordTable, SASL_PASSWORD_MAPS_PARAMETER, type SaslPasswordTable } from '../global/sasl/passwords.ts';
import type { AnvilEndpoint } from '../anvil/api.ts';
import type { FileSystem } from '../platform/types.ts';
import { openNetworkList, type NetworkList } from './checks/networks.ts';
import { openSmtpdTable, TABLES_PER_PARAMETER_MAX } from './checks/tables.ts';

export type TlsLevel = 'none' | 'may' | 'encrypt';

export interface SmtpdTlsSettings {
  /** smtpd_use_tls: STARTTLS may be offered. */
  use: boolean;
  /** smtpd_enforce_tls: commands other than EHLO/HELO/STARTTLS/NOOP/QUIT need TLS first. */
  enforce: boolean;
  /** The certificate and key were read; without them STARTTLS (still announced, as
   *  Postfix does) answers "454 4.7.0 TLS not available due to local problem". */
  certPem: string | undefined;
  keyPem: string | undefined;
  authOnly: boolean;
  startTlsTimeoutMs: number;
  receivedHeader: boolean;
  /** smtpd_tls_ask_ccert: only changes the Received header's certificate comment here. */
  askClientCertificate: boolean;
}

export interface SmtpdSaslSettings {
  enabled: boolean;
  brokenClients: boolean;
  authenticatedHeader: boolean;
  responseLimit: number;
  securityOptions: string[];
  tlsSecurityOptions: string[];
  passwords: SaslPasswordTable;
  /** smtpd_sasl_exceptions_networks: clients to whom AUTH is not announced. */
  exceptions: NetworkList;
}

export interface SmtpdLimitSettings {
  connectionCount: number;
  connectionRate: number;
  messageRate: number;
  recipientRate: number;
  authRate: number;
  newTlsRate: number;
  /** smtpd_client_event_limit_exceptions ($mynetworks by default). */
  exceptions: NetworkList;
}

/** smtpd_policy_service_* (check_policy_service). */
export interface PolicySettings {
  timeoutMs: number;
  tryLimit: number;
  retryDelayMs: number;
  maxIdleMs: number;
  maxTtlMs: number;
  requestLimit: number;
  defaultAction: string;
  policyContext: string;
  compatibilityLevel: string;
}

export interface SmtpdSecurity {
  policy: PolicySettings;
  tls: SmtpdTlsSettings;
  sasl: SmtpdSaslSettings;
  limits: SmtpdLimitSettings;
  /** The anvil service, when master runs one (found at each connection). */
  anvil(): AnvilEndpoint | undefined;
  senderLoginMaps: LookupTable[];
  /** The master.cf service name, as anvil's idents and the limit warnings show it. */
  serviceName: string;
}

function tlsLevel(config: MainConfig, log: Reporter): { use: boolean; enforce: boolean } {
  const level = (config.get('smtpd_tls_security_level') ?? '').trim().toLowerCase();
  if (level === '') {
    const enforce = config.getBool('smtpd_enforce_tls');
    return { use: config.getBool('smtpd_use_tls') || enforce, enforce };
  }
  if (level === 'none') return { use: false, enforce: false };
  if (level === 'may') return { use: true, enforce: false };
  if (level !== 'encrypt') log.warn(`smtpd_tls_security_level: unsupported TLS level "${level}", using "encrypt"`);
  return { use: true, enforce: true };
}

async function readText(fs: FileSystem, path: string): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await fs.readFile(path));
  } catch {
    return undefined;
  }
}

async function readTls(config: MainConfig, fs: FileSystem, log: Reporter): Promise<SmtpdTlsSettings> {
  const { use, enforce } = tlsLevel(config, log);
  const certFile = (config.get('smtpd_tls_cert_file') ?? '').trim();
  const keyFile = (config.get('smtpd_tls_key_file') ?? '').trim() || certFile;
  let certPem: string | undefined;
  let keyPem: string | undefined;
  if (use) {
    if (certFile === '') {
      log.warn('No server certs available. TLS won\'t be enabled');
    } else {
      certPem = await readText(fs, certFile);
      keyPem = await readText(fs, keyFile);
      if (certPem === undefined) log.warn(`cannot get RSA certificate from file "${certFile}": disabling TLS support`);
      else if (keyPem === undefined) log.warn(`cannot get RSA private key from file "${keyFile}": disabling TLS support`);
      if (certPem === undefined || keyPem === undefined) {
        certPem = undefined;
        keyPem = undefined;
      }
    }
  }
  return {
    use, enforce, certPem, keyPem,
    authOnly: config.getBool('smtpd_tls_auth_only') || enforce,
    startTlsTimeoutMs: config.getTimeSeconds('smtpd_starttls_timeout') * 1000,
    receivedHeader: config.getBool('smtpd_tls_received_header'),
    askClientCertificate: config.getBool('smtpd_tls_ask_ccert'),
  };
}

export interface SecurityOptions {
  config: MainConfig;
  fs: FileSystem;
  log: Reporter;
  context: MapContext;
  serviceName: string;
  anvil?: () => AnvilEndpoint | undefined;
}

async function openTables(config: MainConfig, parameter: string, context: MapContext): Promise<LookupTable[]> {
  const tables: LookupTable[] = [];
  for (const spec of config.getList(parameter).slice(0, TABLES_PER_PARAMETER_MAX)) {
    if (spec.includes(':')) tables.push(await openSmtpdTable(spec, context));
  }
  return tables;
}

export async function openSmtpdSecurity(options: SecurityOptions): Promise<SmtpdSecurity> {
  const { config, context } = options;
  const parentStyle = config.getList('parent_domain_matches_subdomains').includes('mynetworks');
  const saslEnabled = config.getBool('smtpd_sasl_auth_enable');
  const int = (name: string): number => config.getInt(name);
  const seconds = (name: string): number => config.getTimeSeconds(name) * 1000;
  return {
    policy: {
      timeoutMs: seconds('smtpd_policy_service_timeout'),
      tryLimit: Math.max(1, int('smtpd_policy_service_try_limit')),
      retryDelayMs: seconds('smtpd_policy_service_retry_delay'),
      maxIdleMs: seconds('smtpd_policy_service_max_idle'),
      maxTtlMs: seconds('smtpd_policy_service_max_ttl'),
      requestLimit: int('smtpd_policy_service_request_limit'),
      defaultAction: config.get('smtpd_policy_service_default_action') ?? '451 4.3.5 Server configuration problem',
      policyContext: config.get('smtpd_policy_service_policy_context') ?? '',
      compatibilityLevel: config.get('compatibility_level') ?? '0',
    },
    tls: await readTls(config, options.fs, options.log),
    sasl: {
      enabled: saslEnabled,
      brokenClients: config.getBool('broken_sasl_auth_clients'),
      authenticatedHeader: config.getBool('smtpd_sasl_authenticated_header'),
      responseLimit: int('smtpd_sasl_response_limit'),
      securityOptions: config.getList('smtpd_sasl_security_options'),
      tlsSecurityOptions: config.getList('smtpd_sasl_tls_security_options'),
      passwords: await openSaslPasswordTable(saslEnabled ? config.getList(SASL_PASSWORD_MAPS_PARAMETER) : [],
        config.get('smtpd_sasl_local_domain') ?? '', context),
      exceptions: await openNetworkList('smtpd_sasl_exceptions_networks', config.get('smtpd_sasl_exceptions_networks') ?? '', parentStyle, context),
    },
    limits: {
      connectionCount: int('smtpd_client_connection_count_limit'),
      connectionRate: int('smtpd_client_connection_rate_limit'),
      messageRate: int('smtpd_client_message_rate_limit'),
      recipientRate: int('smtpd_client_recipient_rate_limit'),
      authRate: int('smtpd_client_auth_rate_limit'),
      newTlsRate: int('smtpd_client_new_tls_session_rate_limit'),
      exceptions: await openNetworkList('smtpd_client_event_limit_exceptions', config.get('smtpd_client_event_limit_exceptions') ?? '', parentStyle, context),
    },
    anvil: options.anvil ?? (() => undefined),
    senderLoginMaps: await openTables(config, 'smtpd_sender_login_maps', context),
    serviceName: options.serviceName,
  };
}
