// Which "-o name=value" settings in master.cf postconf calls used, undefined or read-only,
// and what $name means inside one master.cf entry. A name is used when Postfix defines it
// (built-in, legacy, or per-service like "relay_destination_concurrency_limit"), or when
// some $name refers to it; a $name that nothing defines is "undefined". Called by
// postconf-master.ts (and by postconf's main.cf path for the master.cf half of its checks).
// Trusts the parameter table (engine/global/params) and expand.ts for $name syntax.
// Models postconf_user.c, postconf_unused.c and postconf_lookup.c, in file order where
// Postfix uses its hash-table order (so warnings may come in another order than Postfix's).

import type { MasterEntry } from '../global/config/master-cf.ts';
import { expandValue, referencedNames } from '../global/config/expand.ts';
import { builtinParameter, builtinParameters, serviceParameters } from '../global/params/index.ts';
import type { Reporter } from '../global/msg.ts';

/** main.cf as postconf sees it: explicit settings (with -o overrides) and defaults. */
export interface MainScope {
  /** The value written in main.cf (or given with -o), unexpanded. */
  explicitValue(name: string): string | undefined;
  /** Names set in main.cf, in file order. */
  explicitNames(): readonly string[];
  /** `postconf -d`'s value for a built-in name, or undefined for an unknown name. */
  defaultValue(name: string): string | undefined;
}

/** One master.cf entry's own name space: its -o settings and the names it validates. */
export interface EntryScope {
  readonly entry: MasterEntry;
  /** -o settings left after read-only names were dropped; undefined when there were none. */
  readonly parameters: Map<string, string> | undefined;
  /** Names whose -o setting counts as used, because some $name refers to them. */
  readonly validNames: Set<string>;
}

type ParameterKind = 'builtin' | 'service' | 'user';

export interface ParameterAnalysis {
  readonly scopes: readonly EntryScope[];
  /** Global table: built-in, per-service and user-defined names, as postconf registers them. */
  kindOf(name: string): ParameterKind | undefined;
  /** Default text of a global name (a per-service one defaults to "$global_name"). */
  defaultText(name: string): string | undefined;
}

const classListSeparators = /[ \t\r\n,]+/;
const restrictionClassesName = 'smtpd_restriction_classes';

/** Builds the name spaces and registers user-defined names, warning as postconf does. */
export function analyzeParameters(
  entries: readonly MasterEntry[], main: MainScope, configDirectory: string, reporter: Reporter,
): ParameterAnalysis {
  const serviceDefaults = new Map<string, string>();
  for (const entry of entries) {
    for (const parameter of serviceParameters(entry.service, entry.command)) {
      if (builtinParameter(parameter.name) === undefined) serviceDefaults.set(parameter.name, `$${parameter.globalName}`);
    }
  }
  const userNames = new Set<string>();
  const kindOf = (name: string): ParameterKind | undefined => {
    if (builtinParameter(name) !== undefined) return 'builtin';
    if (serviceDefaults.has(name)) return 'service';
    return userNames.has(name) ? 'user' : undefined;
  };
  const defaultText = (name: string): string | undefined =>
    builtinParameter(name) !== undefined ? main.defaultValue(name) : serviceDefaults.get(name) ?? (userNames.has(name) ? '' : undefined);

  const scopes: EntryScope[] = entries.map((entry) => ({
    entry,
    parameters: entry.overrides.size > 0 ? new Map(entry.overrides) : undefined,
    validNames: new Set<string>(),
  }));
  const restrictionClasses = new Set<string>();

  const flagUserName = (name: string, local: EntryScope | undefined): void => {
    let supplied = false;
    if (local?.parameters?.has(name)) {
      supplied = true;
      local.validNames.add(name);
    } else if (main.explicitValue(name) !== undefined) {
      supplied = true;
      if (kindOf(name) === undefined) userNames.add(name);
    }
    if (local === undefined) {
      for (const scope of scopes) {
        if (scope.parameters?.has(name)) {
          supplied = true;
          scope.validNames.add(name);
        }
      }
    }
    if (!supplied && kindOf(name) === undefined) {
      reporter.warn(`${configDirectory}/${local ? 'master.cf' : 'main.cf'}: undefined parameter: ${name}`);
    }
  };
  const scanValue = (value: string, local: EntryScope | undefined): void => {
    for (const name of referencedNames(value, (text) => reporter.warn(text))) flagUserName(name, local);
  };

  const scanNamespace = (settings: Map<string, string>, local: EntryScope | undefined): void => {
    const classList = settings.get(restrictionClassesName);
    if (classList !== undefined) {
      for (const name of classList.split(classListSeparators).filter((word) => word !== '')) {
        if (local === undefined) restrictionClasses.add(name);
        flagUserName(name, local);
      }
    }
    for (const [name, value] of [...settings]) {
      if (local !== undefined && restrictionClasses.has(name)) local.validNames.add(name);
      const builtin = builtinParameter(name);
      if (builtin?.details.readOnly) {
        reporter.warn(`${configDirectory}/${local ? 'master.cf' : 'main.cf'}: read-only parameter assignment: ${name}=${value}`);
        settings.delete(name);
        continue;
      }
      if (builtin?.details.raw) continue;
      scanValue(value, local);
    }
  };

  for (const scope of scopes) if (scope.parameters) scanNamespace(scope.parameters, scope);
  scanDefaults(main, serviceDefaults, (value) => scanValue(value, undefined));
  const mainSettings = new Map<string, string>();
  for (const name of main.explicitNames()) mainSettings.set(name, main.explicitValue(name) ?? '');
  scanNamespace(mainSettings, undefined);
  return { scopes, kindOf, defaultText };
}

/** Scans the defaults of parameters main.cf leaves alone: some name an older parameter. */
function scanDefaults(main: MainScope, serviceDefaults: ReadonlyMap<string, string>, scan: (value: string) => void): void {
  for (const name of builtinNamesWithReferences()) {
    if (main.explicitValue(name) !== undefined) continue;
    const info = builtinParameter(name);
    if (info === undefined || info.details.raw) continue;
    scan(main.defaultValue(name) ?? info.defaultValue);
  }
  for (const [name, value] of serviceDefaults) {
    if (main.explicitValue(name) === undefined) scan(value);
  }
}

let namesWithReferences: string[] | undefined;

/** Built-in names whose default mentions a $name (the only ones a scan can learn from). */
function builtinNamesWithReferences(): string[] {
  if (namesWithReferences === undefined) {
    namesWithReferences = allBuiltinNames().filter((name) => (builtinParameter(name)?.defaultValue ?? '').includes('$'));
  }
  return namesWithReferences;
}

function allBuiltinNames(): string[] {
  return builtinParameters().map((info) => info.name);
}

/** "DIR/master.cf: unused parameter: name=value" for every -o setting nothing uses. */
export function flagUnusedMasterParameters(analysis: ParameterAnalysis, configDirectory: string, reporter: Reporter): void {
  for (const scope of analysis.scopes) {
    if (scope.parameters === undefined) continue;
    for (const [name, value] of scope.parameters) {
      if (analysis.kindOf(name) === undefined && !scope.validNames.has(name)) {
        reporter.warn(`${configDirectory}/master.cf: unused parameter: ${name}=${value}`);
      }
    }
  }
}

/** Expands $name in a value seen from inside one entry (postconf -x with -M/-F/-P). */
export function expandInEntry(
  value: string, scope: EntryScope, analysis: ParameterAnalysis, main: MainScope, reporter: Reporter,
): string {
  const command = scope.entry.command;
  const processName = command.slice(command.lastIndexOf('/') + 1);
  const lookup = (name: string): string | undefined => {
    if (name === 'process_name') return processName;
    if (name === 'service_name') return scope.entry.service;
    return scope.parameters?.get(name) ?? main.explicitValue(name) ?? analysis.defaultText(name);
  };
  const result = expandValue(value, { lookup, recurse: true, warn: (text) => reporter.warn(text) });
  if (result.error) reporter.fatal('macro processing error');
  return result.text;
}
