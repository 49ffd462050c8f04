// postconf's main.cf display: which names exist (built-in, per-service from master.cf,
// user-defined through $name references), their values (main.cf, -o, or the default),
// -n/-d/-h/-H/-x/-f/-C, "unknown parameter" and "unused parameter" warnings. Called by
// postconf.ts. Trusts main-cf.ts for parsing and postconf-master-params.ts for the
// name-space analysis that main.cf and master.cf share. Models postconf_main.c,
// postconf_lookup.c, postconf_print.c, postconf_unused.c and pcf_register_*().

import type { PostconfRun } from './postconf.ts';
import { failureReason } from './postconf.ts';
import { Mode } from './postconf-options.ts';
import { parseMainCf, readTextFile, splitNameValue, type MainCfEntry } from '../global/config/main-cf.ts';
import { readMasterConfig, type MasterEntry } from '../global/config/master-cf.ts';
import { computedDefault, type ExplicitLookup } from '../global/config/defaults.ts';
import { expandValue } from '../global/config/expand.ts';
import { builtinParameter, builtinParameters, DEFAULT_INTERFACES, serviceParameters, type MachineFacts } from '../global/params/index.ts';
import { isMtalabParameter } from '../global/params/mtalab.ts';
import { checkClientFile, databaseParameterNames, type ClientFile } from './postconf-dbms.ts';
import { analyzeParameters, flagUnusedMasterParameters, type MainScope } from './postconf-master-params.ts';

const LINE_LIMIT = 80;
const INDENT = '    ';
const SEPARATORS = /[ \t\r\n]+/;

/** One line of output with whitespace runs reduced to one space, folded with -f. */
export function formatLine(text: string, fold: boolean): string {
  const words = text.split(SEPARATORS).filter((word) => word !== '');
  let line = '';
  let length = 0;
  for (const word of words) {
    if (length > 0) {
      if (!fold || length + word.length < LINE_LIMIT) { line += ' '; length += 1; }
      else { line += `\n${INDENT}`; length = INDENT.length; }
    }
    line += word;
    length += word.length;
  }
  return `${line}\n`;
}

type ShownClass = 'builtin' | 'service' | 'user';

interface Registry {
  /** Class of a registered name, or undefined. Legacy names are registered but hidden. */
  classOf(name: string): ShownClass | 'legacy' | undefined;
  names(): string[];
  defaultOf(name: string): string | undefined;
}

async function readMasterIfPresent(run: PostconfRun): Promise<MasterEntry[]> {
  const path = `${run.configDirectory}/master.cf`;
  try {
    await run.fs.stat(path);
  } catch (error) {
    run.reporter.warn(`open ${path}: ${failureReason(error)}`);
    return [];
  }
  return readMasterConfig(run.fs, run.configDirectory, run.reporter);
}

function machineFacts(run: PostconfRun): MachineFacts {
  const host = run.context.host as typeof run.context.host & { interfaces?: readonly string[] };
  return {
    hostName: host.name,
    interfaces: host.interfaces ?? DEFAULT_INTERFACES,
    pid: run.pid,
    processName: 'postconf',
    defaultConfigDirectory: host.defaultConfigDirectory,
  };
}

/** Reads main.cf with -o overrides applied; an empty map for -d. */
async function readEntries(run: PostconfRun): Promise<Map<string, MainCfEntry>> {
  if (run.options.mode & Mode.showDefaults) return new Map();
  const path = `${run.configDirectory}/main.cf`;
  const text = await readTextFile(run.fs, path, run.reporter);
  const initial = new Map<string, string>();
  if (run.directoryIsExplicit) initial.set('config_directory', run.configDirectory);
  const entries = parseMainCf(text, path, run.reporter, initial);
  for (const setting of run.options.overrides) {
    const split = splitNameValue(setting);
    if (typeof split === 'string') run.reporter.fatal(`invalid parameter override: ${setting}: ${split}`);
    entries.set(split.name, { name: split.name, value: split.value, line: 0 });
  }
  return entries;
}

export async function showMainParameters(run: PostconfRun): Promise<void> {
  const { mode } = run.options;
  const showDefaults = (mode & Mode.showDefaults) !== 0;
  const entries = await readEntries(run);
  const masterEntries = await readMasterIfPresent(run);
  const machine = machineFacts(run);
  const explicit: ExplicitLookup = (name) => entries.get(name)?.value;

  const expandOrDie = (value: string, lookup: (name: string) => string | undefined): string => {
    const result = expandValue(value, { recurse: true, lookup, warn: (text) => run.reporter.warn(text) });
    if (result.error) run.reporter.fatal('macro processing error');
    return result.text;
  };
  const serviceDefaults = new Map<string, string>();
  for (const entry of masterEntries) {
    for (const parameter of serviceParameters(entry.service, entry.command)) {
      if (builtinParameter(parameter.name) === undefined) serviceDefaults.set(parameter.name, `$${parameter.globalName}`);
    }
  }
  const staticDefault = (name: string): string | undefined => {
    const info = builtinParameter(name);
    if (info !== undefined) return info.defaultValue;
    return serviceDefaults.get(name);
  };
  // Computed defaults are evaluated once, as Postfix caches them.
  const computedCache = new Map<string, string | undefined>();
  const builtinDefault = (name: string): string | undefined => {
    if (!computedCache.has(name)) {
      const lookupForDefaults = (other: string): string | undefined => explicit(other) ?? builtinDefault(other) ?? staticDefault(other);
      computedCache.set(name, computedDefault(name, machine, explicit, (value) => expandOrDie(value, lookupForDefaults)));
    }
    return computedCache.get(name) ?? staticDefault(name);
  };

  const mainScope: MainScope = {
    explicitValue: explicit,
    explicitNames: () => [...entries.keys()],
    defaultValue: (name) => builtinDefault(name),
  };
  let kindOf: (name: string) => ShownClass | undefined = (name) =>
    builtinParameter(name) !== undefined ? 'builtin' : serviceDefaults.has(name) ? 'service' : undefined;
  let analysis: ReturnType<typeof analyzeParameters> | undefined;
  if (!showDefaults) {
    analysis = analyzeParameters(masterEntries, mainScope, run.configDirectory, run.reporter);
    const databaseNames = new Set<string>();
    const clientFilesSeen = new Set<string>();
    kindOf = (name) => analysis?.kindOf(name) ?? (databaseNames.has(name) || isMtalabParameter(name) ? 'user' : undefined);
    const lookupForScan = (name: string): string | undefined => explicit(name) ?? (kindOf(name) ? builtinDefault(name) : undefined);
    for (const [name, entry] of entries) {
      const known = builtinParameter(name) !== undefined || serviceDefaults.has(name);
      if (!known || builtinParameter(name)?.details.raw || builtinParameter(name)?.details.readOnly) continue;
      const clientFiles: ClientFile[] = [];
      for (const candidate of databaseParameterNames(expandOrDie(entry.value, lookupForScan), 0, clientFiles)) {
        if (entries.has(candidate) && kindOf(candidate) === undefined) databaseNames.add(candidate);
      }
      for (const file of clientFiles) await checkClientFile(run.fs, file, run.reporter, clientFilesSeen);
    }
    for (const [name] of entries) if (builtinParameter(name)?.details.readOnly) entries.delete(name);
  }
  const serviceNames = new Set<string>();
  for (const entry of masterEntries) {
    for (const parameter of serviceParameters(entry.service, entry.command)) serviceNames.add(parameter.name);
  }
  const registry: Registry = {
    classOf: (name) => {
      const info = builtinParameter(name);
      if (info?.details.legacy) return entries.has(name) ? 'user' : 'legacy';
      if (serviceNames.has(name)) return 'service';
      return kindOf(name);
    },
    names: () => {
      const names = new Set<string>(builtinParameters().map((info) => info.name));
      for (const name of serviceDefaults.keys()) names.add(name);
      for (const name of entries.keys()) if (kindOf(name) === 'user') names.add(name);
      return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
    defaultOf: (name) => builtinDefault(name) ?? (kindOf(name) === 'user' ? '' : undefined),
  };

  printParameters(run, registry, entries);

  if (!showDefaults && analysis !== undefined) {
    for (const [name, entry] of entries) {
      if (registry.classOf(name) === undefined) {
        run.reporter.warn(`${run.configDirectory}/main.cf: unused parameter: ${name}=${entry.value}`);
      }
    }
    flagUnusedMasterParameters(analysis, run.configDirectory, run.reporter);
  }
}

function printParameters(run: PostconfRun, registry: Registry, entries: ReadonlyMap<string, MainCfEntry>): void {
  const { mode } = run.options;
  const showDefaults = (mode & Mode.showDefaults) !== 0;
  const nonDefaultOnly = (mode & Mode.showNonDefault) !== 0;
  const fold = (mode & Mode.fold) !== 0;
  const write = (text: string): void => run.context.stdout.write(text);

  const valueOf = (name: string): string | undefined => {
    if (showDefaults) return registry.defaultOf(name);
    const explicitValue = entries.get(name)?.value;
    if (explicitValue !== undefined) return explicitValue;
    if (nonDefaultOnly) return undefined;
    return registry.defaultOf(name);
  };
  const expand = (value: string): string => {
    const result = expandValue(value, {
      recurse: true,
      lookup: (name) => {
        const registered = registry.classOf(name) !== undefined;
        if (showDefaults) return registered ? registry.defaultOf(name) : undefined;
        return entries.get(name)?.value ?? (registered ? registry.defaultOf(name) : undefined);
      },
      warn: (text) => run.reporter.warn(text),
    });
    if (result.error) run.reporter.fatal('macro processing error');
    return result.text;
  };
  const printOne = (name: string): void => {
    let value = valueOf(name);
    if (value === undefined) return;
    if (mode & Mode.hideValue) {
      write(formatLine(name, fold));
      return;
    }
    if ((mode & Mode.expand) && !builtinParameter(name)?.details.raw) value = expand(value);
    write(formatLine(mode & Mode.hideName ? value : `${name} = ${value}`, fold));
  };

  const operands = run.options.operands;
  if (operands.length === 0) {
    const classes = run.options.parameterClasses;
    for (const name of registry.names()) {
      const shownClass = registry.classOf(name);
      if (shownClass !== undefined && shownClass !== 'legacy' && classes.has(shownClass)) printOne(name);
    }
    return;
  }
  for (const name of operands) {
    if (registry.classOf(name) === undefined) run.reporter.warn(`${name}: unknown parameter`);
    else printOne(name);
  }
}
