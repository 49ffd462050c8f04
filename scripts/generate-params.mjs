#!/usr/bin/env node
// Generates engine/global/params/table.generated.ts: every parameter Postfix 3.7 has built
// in, with its type (from the CONFIG_*_TABLE declarations in Postfix's source), its bounds
// and its default exactly as `postconf -d` prints it (from the captured reference file).
// Usage: node scripts/generate-params.mjs POSTFIX_SRC_DIR [REFERENCE_FILE]
//   POSTFIX_SRC_DIR: a checkout of github:vdukhovni/postfix at tag v3.7.11, its postfix/src
// Run by hand when the reference changes; the output is committed, the source is not.
// Nothing of Postfix's code is copied: the script only reads names, kinds and bounds.
import { readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const sourceDirectory = process.argv[2];
const referenceFile = process.argv[3] ?? '/work/shared/reference/postfix-3.7/postconf-defaults.txt';
const outputFile = new URL('../engine/global/params/table.generated.ts', import.meta.url).pathname;
if (!sourceDirectory) {
  console.error('usage: generate-params.mjs POSTFIX_SRC_DIR [REFERENCE_FILE]');
  process.exit(2);
}

// 1. The reference: name -> default text as postconf -d prints it.
const referenceDefaults = new Map();
for (const line of readFileSync(referenceFile, 'utf8').split('\n')) {
  if (line === '') continue;
  const at = line.indexOf(' =');
  referenceDefaults.set(line.slice(0, at), line.slice(at + 2).replace(/^ /, ''));
}

// 2. Macro names -> parameter names, from every header of the source tree. A name may be
// spelled as a concatenation ("local" _DEST_CON_LIMIT), so definitions are resolved lazily.
const directories = readdirSync(sourceDirectory).filter((name) => statSync(join(sourceDirectory, name)).isDirectory());
const macroDefinitions = new Map();
const cFiles = [];
for (const directory of directories) {
  for (const file of readdirSync(join(sourceDirectory, directory)).sort()) {
    const path = join(sourceDirectory, directory, file);
    if (file.endsWith('.h')) {
      for (const match of readFileSync(path, 'latin1').matchAll(/^#define[ \t]+(\w+)[ \t]+((?:"[^"]*"|[A-Z_][A-Z0-9_]*)(?:[ \t]+(?:"[^"]*"|[A-Z_][A-Z0-9_]*))*)/gm)) {
        if (!macroDefinitions.has(match[1])) macroDefinitions.set(match[1], match[2]);
      }
    }
    if (file.endsWith('.c') && directory !== 'postconf' && !file.includes('tester') && file !== 'test_main.c') {
      cFiles.push(path);
    }
  }
}
function resolveMacro(macro, depth = 0) {
  const definition = macroDefinitions.get(macro);
  if (definition === undefined || depth > 10) return undefined;
  let text = '';
  for (const token of definition.match(/"[^"]*"|\w+/g) ?? []) {
    if (token.startsWith('"')) { text += token.slice(1, -1); continue; }
    const part = resolveMacro(token, depth + 1);
    if (part === undefined) return undefined;
    text += part;
  }
  return text;
}
const macroNames = { get: (macro) => resolveMacro(macro) };

// 3. The tables: kind -> entries "VAR_X, DEF_X, &var, min, max". Like Postfix's own
// extractor, one entry per line, and the first declaration of a name wins.
const kinds = { TIME: 'time', BOOL: 'bool', INT: 'int', STR: 'string', STR_FN: 'string', RAW: 'raw', NINT: 'nint', NBOOL: 'nbool', LONG: 'long' };
const found = new Map();
const boundOf = (text) => (text !== undefined && /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : null);
for (const path of cFiles) {
  const text = readFileSync(path, 'latin1');
  const blocks = text.matchAll(/CONFIG_(TIME|BOOL|INT|STR_FN|STR|RAW|NINT|NBOOL|LONG)_TABLE\s+\w+\[\]\s*=\s*\{([\s\S]*?)\n\s*\};/g);
  for (const block of blocks) {
    const kind = kinds[block[1]];
    for (const line of block[2].split('\n')) {
      const fields = line.trim().split(/\s*,\s*/);
      if (!/^VAR_\w+$/.test(fields[0] ?? '')) continue;
      const name = macroNames.get(fields[0]);
      if (name === undefined) throw new Error(`${path}: no name for ${fields[0]}`);
      if (found.has(name)) continue;
      const fnDefault = block[1] === 'STR_FN';
      const lengthBounds = kind === 'string' || kind === 'raw';
      found.set(name, {
        kind, program: path.slice(sourceDirectory.length + 1), computed: fnDefault,
        min: lengthBounds || fnDefault ? boundOf(fields[3]) : boundOf(fields[3]),
        max: boundOf(fields[4]),
      });
    }
  }
}
// Installation parameters (postconf's install table) and the ones set by ad-hoc code.
for (const name of ['config_directory', 'debugger_command']) {
  if (!found.has(name)) found.set(name, { kind: 'string', program: 'postconf/install_table.h', computed: false, min: 1, max: 0 });
}
found.set('process_name', { kind: 'string', program: 'global/mail_params.c', computed: true, readOnly: true, min: null, max: null });
found.set('service_name', { kind: 'string', program: 'global/mail_params.c', computed: true, readOnly: true, min: null, max: null });
found.set('process_id', { kind: 'int', program: 'global/mail_params.c', computed: true, readOnly: true, min: null, max: null });
const legacy = ['virtual_maps', 'fallback_relay', 'authorized_verp_clients', 'smtpd_client_connection_limit_exceptions',
  'postscreen_dnsbl_ttl', 'postscreen_blacklist_action', 'postscreen_dnsbl_whitelist_threshold',
  'postscreen_whitelist_interfaces', 'lmtp_per_record_deadline', 'smtp_per_record_deadline',
  'smtpd_per_record_deadline', 'tlsproxy_client_level', 'tlsproxy_client_policy'];

// 4. mtalab's finer classes of string parameters (Postfix itself only knows "string").
function stringClass(name, value) {
  if (/_restrictions$/.test(name) || name === 'smtpd_restriction_classes') return name === 'smtpd_restriction_classes' ? 'list' : 'restrictions';
  if (/_maps$/.test(name) || /_checks$/.test(name) || name === 'alias_database' || /_map$/.test(name)) return 'maps';
  if (/^(mydestination|relay_domains|virtual_alias_domains|virtual_mailbox_domains|mynetworks|inet_interfaces|proxy_interfaces|masquerade_domains|masquerade_exceptions|notify_classes|parent_domain_matches_subdomains|import_environment|export_environment|inet_protocols|fast_flush_domains|permit_mx_backup_networks|smtpd_client_event_limit_exceptions|debug_peer_list|authorized_\w+_users|authorized_\w+_clients|\w+_exceptions|\w+_domains|\w+_networks|\w+_classes|\w+_interfaces)$/.test(name)) return 'list';
  void value;
  return 'string';
}
function typeOf(name, info) {
  switch (info.kind) {
    case 'bool': case 'nbool': return 'boolean';
    case 'int': case 'nint': return 'integer';
    case 'long': return /size|limit|minfree/.test(name) ? 'size' : 'long';
    case 'time': return 'time';
    default: return stringClass(name, referenceDefaults.get(name));
  }
}

// Expands $name in a reference default to find a time parameter's default unit.
function expandReference(value, depth = 0) {
  if (depth > 20) return value;
  return value.replace(/\$\{?(\w+)\}?/g, (_, name) => expandReference(referenceDefaults.get(name) ?? '', depth + 1));
}
function timeUnit(name) {
  const expanded = expandReference(referenceDefaults.get(name) ?? '');
  const unit = /[a-z]/i.exec(expanded);
  return unit ? unit[0] : 's';
}

const rows = [];
const missing = [];
for (const [name, info] of [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
  if (!referenceDefaults.has(name)) { missing.push(name); continue; }
  const type = typeOf(name, info);
  const row = [name, type, referenceDefaults.get(name)];
  const extra = {};
  if (type === 'time') extra.unit = timeUnit(name);
  if (info.kind === 'raw') extra.raw = true;
  if (info.kind === 'nint' || info.kind === 'nbool') extra.indirect = true;
  if (info.computed) extra.computed = true;
  if (info.readOnly) extra.readOnly = true;
  if (['int', 'nint', 'long', 'time'].includes(info.kind)) {
    if (info.min) extra.min = info.min;
    if (info.max) extra.max = info.max;
  }
  extra.program = info.program.replace(/\.c$/, '');
  rows.push([...row, extra]);
}
for (const name of legacy) rows.push([name, 'string', '', { legacy: true, program: 'postconf' }]);
rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
const unexplained = [...referenceDefaults.keys()].filter((name) => !found.has(name) && !legacy.includes(name));

const header = `// GENERATED by scripts/generate-params.mjs from Postfix 3.7.11's CONFIG_*_TABLE declarations
// (types, bounds) and shared/reference/postfix-3.7/postconf-defaults.txt (defaults, exactly as
// \`postconf -d\` prints them). Do not edit by hand: edit the script and run it again.
// Read by engine/global/params/index.ts, which adds the machine-dependent values.
// Columns: name, type, default, details (unit of a time, bounds, where Postfix declares it).

import type { ParameterRow } from './types.ts';

`;
const body = `export const parameterRows: readonly ParameterRow[] = [\n${rows.map((row) => `  ${JSON.stringify(row)},`).join('\n')}\n];\n`;
writeFileSync(outputFile, header + body);
console.log(`${rows.length} built-in parameters written to ${outputFile}`);
console.log(`in source but not in the reference: ${missing.join(' ') || '(none)'}`);
console.log(`in the reference only (per-service, from master.cf): ${unexplained.length}`);
console.log(unexplained.filter((name) => !/^(bsmtp|error|ifmail|lmtp|local|maildrop|mailman|relay|retry|scalemail-backend|smtp|uucp|virtual)_/.test(name)).join(' '));

// 5. Legacy database client parameters: "ldap:name" in a parameter value makes
// name_server_host, name_search_base, ... valid names (postconf's LEGACY_DBMS_SUPPORT).
// The suffixes are the second argument of the cfg_get_str/int/bool calls of each client.
const dbmsClients = { ldap: ['ldap', false], memcache: ['memcache', false], mysql: ['mysql', true], pgsql: ['pgsql', true], sqlite: ['sqlite', true] };
const dbmsSuffixes = {};
for (const [type, [file, legacySql]] of Object.entries(dbmsClients)) {
  const text = readFileSync(join(sourceDirectory, 'global', `dict_${file}.c`), 'latin1');
  const localMacros = new Map([...text.matchAll(/^#define[ \t]+(\w+)[ \t]+"([^"]*)"/gm)].map((match) => [match[1], match[2]]));
  const names = new Set(['domain']);
  if (legacySql) for (const name of ['table', 'select_field', 'where_field', 'additional_conditions']) names.add(name);
  for (const match of text.matchAll(/cfg_get_(?:str|int|bool)\(\s*[^,]+,\s*("([^"]*)"|\w+)/g)) {
    const name = match[2] ?? localMacros.get(match[1]);
    if (name !== undefined) names.add(name);
  }
  dbmsSuffixes[type] = [...names].sort();
}
const dbmsFile = new URL('../engine/global/params/dbms.generated.ts', import.meta.url).pathname;
writeFileSync(dbmsFile, `// GENERATED by scripts/generate-params.mjs from the cfg_get_*() calls of Postfix 3.7.11's
// database clients (dict_ldap.c, dict_mysql.c, ...). Do not edit by hand.
// Read by engine/global/config/usage.ts: with "ldap:name" in a parameter value, postconf
// counts name_<suffix> as a used parameter name.

export const databaseClientSuffixes: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(dbmsSuffixes, null, 2)};
`);
console.log(`database client suffixes: ${Object.entries(dbmsSuffixes).map(([type, list]) => `${type}=${list.length}`).join(' ')}`);
