// The table of every parameter Postfix 3.7 knows, and the defaults that depend on the
// machine. Called by engine/global/config (main.cf reading, getters, "unused parameter"
// checks) and by postconf. Trusts table.generated.ts; models postconf_builtin.c and
// mail_params.c's run-time defaults.
//
// Machine- or build-dependent defaults (MACHINE_DEPENDENT below says why for each):
// Postfix computes them when a program starts, so two machines print different values
// for `postconf -d`. Everything else in the table is a compiled-in constant of Debian's
// Postfix 3.7.11 build and is the same everywhere.

import { parameterRows } from './table.generated.ts';
import type { ParameterInfo } from './types.ts';

export type { ParameterInfo, ParameterType, ParameterDetails, ParameterClass } from './types.ts';
export { serviceParameters } from './services.ts';
export type { ServiceParameter } from './services.ts';

const builtinTable: ReadonlyMap<string, ParameterInfo> = new Map(
  parameterRows.map(([name, type, defaultValue, details]) => [name, { name, type, defaultValue, details }]),
);

/** A built-in (or legacy) parameter, or undefined for a name Postfix does not define. */
export function builtinParameter(name: string): ParameterInfo | undefined {
  return builtinTable.get(name);
}

/** Every built-in and legacy parameter, sorted by name. */
export function builtinParameters(): readonly ParameterInfo[] {
  return [...builtinTable.values()];
}

/** Parameters whose `postconf -d` value differs from machine to machine, and why. The
 *  per-service parameters ("<service>_destination_concurrency_limit", ...) are not here:
 *  they exist only for the services of the master.cf that is read (see services.ts). */
export const MACHINE_DEPENDENT: Readonly<Record<string, string>> = {
  myhostname: 'the machine\'s host name, with ".$mydomain" (or ".localdomain") appended when it has no dot',
  mydomain: 'the part of $myhostname after its first dot, or "localdomain"',
  mynetworks: 'computed from the addresses and netmasks of the machine\'s interfaces, as mynetworks_style and inet_interfaces say',
  process_id: 'the process id of the program that prints it',
  process_name: 'the name the program was invoked by (postconf prints "postconf")',
  config_directory: 'the compiled-in configuration directory (/etc/postfix in Debian\'s build; mtalab: the host\'s default directory)',
};

/** What the machine-dependent defaults are computed from. */
export interface MachineFacts {
  /** As hostname(1) prints it. */
  hostName: string;
  /** The interfaces' addresses with prefix lengths, e.g. "127.0.0.1/8", "::1/128". */
  interfaces: readonly string[];
  pid: number;
  processName: string;
  /** The compiled-in default configuration directory. */
  defaultConfigDirectory: string;
}

/** mtalab hosts have only the loopback interface unless a scenario says otherwise. */
export const DEFAULT_INTERFACES: readonly string[] = ['127.0.0.1/8'];

/** Default domain when the host name has no dot, as Postfix's DEF_MYDOMAIN. */
export const DEFAULT_DOMAIN = 'localdomain';

/** myhostname's default: the host name, made fully qualified with $mydomain if needed. */
export function defaultMyhostname(hostName: string, explicitMydomain: string | undefined): string {
  if (hostName.includes('.')) return hostName;
  return `${hostName}.${explicitMydomain ?? DEFAULT_DOMAIN}`;
}

/** mydomain's default: everything after the first dot of myhostname. */
export function defaultMydomain(myhostname: string): string {
  const dot = myhostname.indexOf('.');
  return dot < 0 ? DEFAULT_DOMAIN : myhostname.slice(dot + 1);
}

export { computeMynetworks } from './mynetworks.ts';
