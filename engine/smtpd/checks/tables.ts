// The lookup tables and lists smtpd opens at start-up (and reload): every table a
// restriction list or restriction class names ("check_sender_access texthash:/etc/x"),
// the recipient validation maps (local_recipient_maps, virtual_alias_maps,
// virtual_mailbox_maps, relay_recipient_maps, canonical maps), mynetworks and the other
// address lists, smtpd_forbidden_commands, and the restriction classes. Table names in
// local_recipient_maps may use Postfix's proxy: prefix (dropped: there is no proxymap) and
// unix:passwd.byname (the host's /etc/passwd); nis: tables never match, as on a host
// without NIS.
// Called by service.ts (openSmtpdTables) and tests. Trusts openLookupTable (H3).
// Models smtpd_check_init() in src/smtpd/smtpd_check.c and the maps_create() calls there.

import type { MainConfig } from '../../global/config/main-cf.ts';
import { splitListKeepingBraces } from '../../global/config/values.ts';
import { openLookupTable, type LookupTable, type MapContext } from '../../global/maps/index.ts';
import { createRegexpTable } from '../../global/maps/regexp-table.ts';
import { extractBraced, splitOutsideBraces } from '../../global/maps/brace-list.ts';
import { lookupUser } from '../../global/passwd.ts';
import { openNetworkList, type NetworkList } from './networks.ts';

/** The most tables one parameter may list. */
export const TABLES_PER_PARAMETER_MAX = 64;
/** The most restriction classes. */
export const RESTRICTION_CLASSES_MAX = 256;

export interface SmtpdTables {
  /** Tables named in restriction lists, by their "type:name" text (map_command_table). */
  access: ReadonlyMap<string, LookupTable>;
  localRecipientMaps: LookupTable[];
  /** Whether local_recipient_maps is set at all (empty: no local recipient check). */
  localRecipientCheck: boolean;
  virtualAliasMaps: LookupTable[];
  virtualMailboxMaps: LookupTable[];
  relayRecipientMaps: LookupTable[];
  canonicalMaps: LookupTable[];
  senderCanonicalMaps: LookupTable[];
  recipientCanonicalMaps: LookupTable[];
  mynetworks: NetworkList;
  bareNewlineExclusions: NetworkList;
  /** smtpd_authorized_xforward_hosts (absent in stand-alone mode: nobody may XFORWARD). */
  xforwardHosts?: NetworkList;
  /** smtpd_forbidden_commands: words that end the session with "221 2.7.0 ... Goodbye." */
  isForbiddenCommand(word: string): Promise<boolean>;
  /** smtpd_restriction_classes: name -> restriction list. */
  classes: ReadonlyMap<string, string[]>;
  /** local_header_rewrite_clients, with its tables opened. */
  localRewriteClients: string[];
  /** The addresses of inet_interfaces (permit_inet_interfaces). */
  interfaceAddresses: string[];
}

/** The host's /etc/passwd as Postfix's unix:passwd.byname table. */
function passwdTable(context: MapContext): LookupTable {
  return {
    type: 'unix', name: 'passwd.byname', foldsCase: false,
    lookup: async (key) => {
      const entry = await lookupUser(context.fs, key);
      return entry === undefined ? undefined : `${entry.name}:x:${entry.uid}:${entry.gid}:${entry.gecos}:${entry.home}:${entry.shell}`;
    },
  };
}

const nothing = (type: string, name: string): LookupTable => ({ type, name, foldsCase: false, lookup: async () => undefined });

/** Opens one table as smtpd names it, with the proxy:/unix:/nis: conventions. */
export async function openSmtpdTable(spec: string, context: MapContext): Promise<LookupTable> {
  const bare = spec.startsWith('proxy:') ? spec.slice('proxy:'.length) : spec;
  if (bare === 'unix:passwd.byname') return passwdTable(context);
  if (bare.startsWith('nis:')) return nothing('nis', bare.slice(4));
  return openLookupTable(bare, { ...context, allowSurrogate: true });
}

async function openList(config: MainConfig, parameter: string, context: MapContext): Promise<LookupTable[]> {
  const tables: LookupTable[] = [];
  for (const spec of config.getList(parameter).slice(0, TABLES_PER_PARAMETER_MAX)) {
    if (spec.includes(':')) tables.push(await openSmtpdTable(spec, context));
  }
  return tables;
}

/** Restriction lists whose "type:name" words are tables. */
const RESTRICTION_PARAMETERS = [
  'smtpd_client_restrictions', 'smtpd_helo_restrictions', 'smtpd_sender_restrictions',
  'smtpd_relay_restrictions', 'smtpd_recipient_restrictions', 'smtpd_data_restrictions',
  'smtpd_end_of_data_restrictions', 'smtpd_etrn_restrictions',
];

/** A string list with Postfix's inline regexp form "regexp:{{/re/ result} ...}". */
async function openCommandList(value: string, context: MapContext): Promise<(word: string) => Promise<boolean>> {
  const words = new Set<string>();
  const tables: LookupTable[] = [];
  for (const item of splitListKeepingBraces(value)) {
    const colon = item.indexOf(':');
    const type = colon < 0 ? '' : item.slice(0, colon);
    const name = colon < 0 ? '' : item.slice(colon + 1);
    if ((type === 'regexp' || type === 'pcre') && name.startsWith('{')) {
      const body = extractBraced(name);
      const rules = body.ok ? splitOutsideBraces(body.text).map((rule) => extractBraced(rule)).filter((rule) => rule.ok).map((rule) => rule.text) : [];
      tables.push(createRegexpTable(type, name, name, rules.join('\n'), context));
    } else if (colon > 0) {
      tables.push(await openSmtpdTable(item, context));
    } else {
      words.add(item.toLowerCase());
    }
  }
  return async (word) => {
    if (words.has(word.toLowerCase())) return true;
    for (const table of tables) {
      try {
        if (await table.lookup(word) !== undefined) return true;
      } catch {
        // smtpd ignores lookup errors of this non-critical list.
      }
    }
    return false;
  };
}

export async function openSmtpdTables(config: MainConfig, context: MapContext): Promise<SmtpdTables> {
  const classes = new Map<string, string[]>();
  for (const name of config.getList('smtpd_restriction_classes').slice(0, RESTRICTION_CLASSES_MAX)) {
    classes.set(name, config.getList(name));
  }
  const access = new Map<string, LookupTable>();
  const localRewriteClients = config.getList('local_header_rewrite_clients');
  const lists = [...RESTRICTION_PARAMETERS.map((parameter) => config.getList(parameter)), ...classes.values(), localRewriteClients];
  for (const list of lists) {
    for (let index = 0; index < list.length; index++) {
      const word = list[index] as string;
      // check_policy_service names a server ("inet:127.0.0.1:9998"), not a table.
      if (word.toLowerCase() === 'check_policy_service') { index++; continue; }
      if (word.includes(':') && !access.has(word)) access.set(word, await openSmtpdTable(word, context));
    }
  }
  const parentStyle = config.getList('parent_domain_matches_subdomains');
  return {
    access,
    localRecipientMaps: await openList(config, 'local_recipient_maps', context),
    localRecipientCheck: (config.get('local_recipient_maps') ?? '').trim() !== '',
    virtualAliasMaps: await openList(config, 'virtual_alias_maps', context),
    virtualMailboxMaps: await openList(config, 'virtual_mailbox_maps', context),
    relayRecipientMaps: await openList(config, 'relay_recipient_maps', context),
    canonicalMaps: await openList(config, 'canonical_maps', context),
    senderCanonicalMaps: await openList(config, 'sender_canonical_maps', context),
    recipientCanonicalMaps: await openList(config, 'recipient_canonical_maps', context),
    mynetworks: await openNetworkList('mynetworks', config.get('mynetworks') ?? '', parentStyle.includes('mynetworks'), context),
    bareNewlineExclusions: await openNetworkList('smtpd_forbid_bare_newline_exclusions',
      config.get('smtpd_forbid_bare_newline_exclusions') ?? '', parentStyle.includes('mynetworks'), context),
    xforwardHosts: await openNetworkList('smtpd_authorized_xforward_hosts',
      config.get('smtpd_authorized_xforward_hosts') ?? '', parentStyle.includes('smtpd_authorized_xforward_hosts'), context),
    isForbiddenCommand: await openCommandList(config.get('smtpd_forbidden_commands') ?? '', context),
    classes,
    localRewriteClients,
    interfaceAddresses: interfaceAddresses(config),
  };
}

/** inet_interfaces as addresses: "all" and "loopback-only" include the loopback ones. */
function interfaceAddresses(config: MainConfig): string[] {
  const addresses = new Set<string>();
  for (const name of config.getList('inet_interfaces').map((entry) => entry.toLowerCase())) {
    if (name === 'all' || name === 'loopback-only' || name === 'localhost') {
      addresses.add('127.0.0.1');
      addresses.add('::1');
    } else {
      addresses.add(name.replace(/^\[|\]$/g, ''));
    }
  }
  return [...addresses];
}
