// postalias(1) and newaliases(1): build an aliases(5) table's index ("name: value" source,
// keys folded to lower case, stored null-terminated, plus the "@:@" and NIS YP_LAST_MODIFIED
// and YP_MASTER_NAME entries Postfix adds), query it (-q key, -q -), list it (-s, as
// "key:<TAB>value") and delete keys (-d key, -d -). newaliases is postalias run on every table in $alias_database.
// Called through the command table; the command skeleton it shares with postmap is
// engine/admin/table-command.ts. Models src/postalias/postalias.c and sendmail's
// newaliases mode.

import type { CommandContext } from './command.ts';
import { createReporter } from '../global/msg.ts';
import { programName, readCommandConfig } from '../global/maps/command-support.ts';
import { parseAliasLine } from '../global/maps/aliases-source.ts';
import { readLogicalLines } from '../global/maps/source-lines.ts';
import { openTableBuild, runTableCommand, type BuildRequest } from './table-command.ts';

export async function postaliasMain(context: CommandContext): Promise<number> {
  return runTableCommand(context, {
    fallbackName: 'postalias',
    optionSpec: 'Nc:d:finopq:rsuvw',
    usageFlags: '[-Nfinoprsuvw]',
    duplicates: (flags) => (flags.has('r') ? 'replace' : flags.has('w') ? 'ignore' : 'warn'),
    separator: ':\t',
    build: buildAliases,
  });
}

/** Builds one alias table (also used by newaliases). */
async function buildAliases(request: BuildRequest): Promise<void> {
  const { context, config, reporter } = request;
  const { source, writer } = await openTableBuild(request, { incremental: request.flags.has('i'), nullTerminated: true });
  for (const line of readLogicalLines(source.text, source.shownPath, reporter)) {
    const entry = parseAliasLine(line, source.shownPath, reporter);
    if (entry !== undefined) writer.append(entry.name, entry.value);
  }
  // The signatures are updated in place on every run, so they never count as duplicates.
  writer.duplicates = 'replace';
  writer.append('@', '@');
  writer.nullTerminated = false;
  writer.foldCase = false;
  const seconds = Math.floor(context.host.platform.clock.nowMs() / 1000);
  writer.append('YP_LAST_MODIFIED', String(seconds).padStart(10, '0'));
  writer.append('YP_MASTER_NAME', config.get('myhostname') ?? context.host.name);
  await writer.close();
}

/** newaliases: postalias on each table named by alias_database. */
export async function newaliasesMain(context: CommandContext): Promise<number> {
  const program = programName(context.argv[0], 'newaliases');
  const reporter = createReporter({ program, host: context.host, pid: context.host.nextPid(), stderr: context.stderr });
  const directory = context.argv.includes('-C') ? context.argv[context.argv.indexOf('-C') + 1] : undefined;
  const config = await readCommandConfig(context, reporter, directory);
  const defaultType = config.get('default_database_type') ?? 'hash';
  for (const operand of config.getList('alias_database')) {
    await buildAliases({ context, config, operand, defaultType, flags: new Map(), mapFlags: {}, reporter });
  }
  return 0;
}
