// main.cf as the master.cf modes of postconf need it: which names main.cf (or -o) sets,
// their raw values, and the defaults of the rest. Read after master.cf, as Postfix does,
// so that a broken master.cf is reported before a missing main.cf. Called by
// postconf-master.ts; trusts H1's readMainConfig (engine/global/config/main-cf.ts).
// Models postconf's pcf_read_parameters() and pcf_set_parameters().

import type { CommandContext } from './command.ts';
import type { FileSystem } from '../platform/types.ts';
import type { Reporter } from '../global/msg.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import { splitNameValue } from '../global/config/master-cf-text.ts';
import { builtinParameter } from '../global/params/index.ts';
import type { MainScope } from './postconf-master-params.ts';

/** Reads DIRECTORY/main.cf (fatal when missing) and applies postconf's -o settings. */
export async function loadMainScope(
  fs: FileSystem, directory: string, overrides: readonly string[], reporter: Reporter, context: CommandContext,
): Promise<MainScope> {
  const overrideMap = new Map<string, string>();
  let badOverride: string | undefined;
  for (const setting of overrides) {
    const pair = splitNameValue(setting);
    if (typeof pair === 'string') badOverride ??= `invalid parameter override: ${setting}: ${pair}`;
    else overrideMap.set(pair.name, pair.value);
  }
  // Postfix reads main.cf (fatal when missing) before it applies the -o settings.
  const config = await readMainConfig({
    fs, directory, reporter, overrides: overrideMap, host: context.host,
    directoryIsExplicit: directory !== context.host.defaultConfigDirectory || context.env.has('MAIL_CONFIG'),
  });
  if (badOverride !== undefined) reporter.fatal(badOverride);
  return {
    explicitValue: (name) => (config.isSet(name) ? config.getRaw(name) : undefined),
    explicitNames: () => config.explicitNames(),
    defaultValue: (name) => (config.isSet(name) ? builtinParameter(name)?.defaultValue : config.getRaw(name)),
  };
}
