// Legacy database client parameters: with "ldap:name" (or mysql:, pgsql:, sqlite:,
// memcache:) in a parameter value, postconf treats name_server_host, name_search_base and
// the other settings of that client as used names. Called by postconf-show.ts with each
// expanded built-in or per-service value of main.cf. Trusts the generated suffix lists.
// Models postconf_dbms.c (without its check of client files given by absolute path).

import { databaseClientSuffixes } from '../global/params/dbms.generated.ts';
import { splitListKeepingBraces } from '../global/config/values.ts';
import { parseMainCf } from '../global/config/main-cf.ts';
import type { FileSystem } from '../platform/types.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import type { Reporter } from '../global/msg.ts';

/** A database client configuration file named by absolute path ("pgsql:/etc/x.cf"). */
export interface ClientFile {
  type: string;
  path: string;
}

/** Bounds the recursion into "{ ... }" groups. */
const BRACE_DEPTH_MAX = 20;

/** The candidate parameter names a (expanded) value implies, e.g. "ldapsource_bind_dn". */
export function databaseParameterNames(value: string, depth = 0, clientFiles: ClientFile[] = []): string[] {
  const names: string[] = [];
  if (depth > BRACE_DEPTH_MAX) return names;
  for (const word of splitListKeepingBraces(value)) {
    if (word.startsWith('{')) {
      names.push(...databaseParameterNames(word.replace(/^\{/, '').replace(/\}$/, ''), depth + 1, clientFiles));
      continue;
    }
    let type = word;
    let prefix: string | undefined;
    for (let hops = 0; hops <= BRACE_DEPTH_MAX; hops++) {
      const colon = type.indexOf(':');
      if (colon < 0) { prefix = undefined; break; }
      prefix = type.slice(colon + 1);
      type = type.slice(0, colon);
      if (type !== 'proxy') break;
      type = prefix;
    }
    if (prefix !== undefined && prefix.startsWith('/') && databaseClientSuffixes[type] !== undefined) {
      clientFiles.push({ type, path: prefix });
      continue;
    }
    if (prefix === undefined || prefix.startsWith('/') || prefix.startsWith('.')) continue;
    if (prefix.startsWith('{')) {
      names.push(...databaseParameterNames(prefix.replace(/^\{/, '').replace(/\}$/, ''), depth + 1, clientFiles));
      continue;
    }
    for (const suffix of databaseClientSuffixes[type] ?? []) names.push(`${prefix}_${suffix}`);
  }
  return names;
}

/** Reads a client file once and warns about the settings its client does not know. */
export async function checkClientFile(fs: FileSystem, file: ClientFile, reporter: Reporter, seen: Set<string>): Promise<void> {
  const spec = `${file.type}:${file.path}`;
  if (seen.has(spec)) return;
  seen.add(spec);
  let text: string;
  try {
    const stat = await fs.stat(file.path);
    if (!stat.isFile) {
      reporter.warn(`open "${file.type}" configuration "${file.path}": not a regular file`);
      return;
    }
    text = new TextDecoder().decode(await fs.readFile(file.path));
  } catch (error) {
    const code = error instanceof PlatformError ? error.code : 'EIO';
    if (code !== 'EACCES') reporter.warn(`open "${file.type}" configuration "${file.path}": ${describeCode(code)}`);
    return;
  }
  const known = new Set(databaseClientSuffixes[file.type] ?? []);
  for (const [name, entry] of parseMainCf(text, file.path, reporter)) {
    if (!known.has(name)) reporter.warn(`${spec}: unused parameter: ${name}=${entry.value}`);
  }
}
