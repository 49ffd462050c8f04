// postmap(1): build a lookup table's index from its source ("postmap hash:access"), add to
// it from stdin (-i), query it (-q key, or -q - for keys on stdin, printing "key<TAB>value"),
// list it (-s), or delete keys (-d key from every table named, -d - for keys on stdin).
// Options as Postfix 3.7: -c DIR, -f (no case folding), -r/-w (replace or ignore duplicates
// instead of warning), -N/-n (null-terminated keys; recorded only), -v (accepted). Exit
// status: 0 when a query or delete found something, 1 when not, 1 on fatal.
// Called through the command table (engine/admin/index.ts); the command skeleton it shares
// with postalias is engine/admin/table-command.ts. Models src/postmap/postmap.c.

import type { CommandContext } from './command.ts';
import { openTableBuild, runTableCommand, type BuildRequest } from './table-command.ts';
import { readLogicalLines, splitKeyValue } from '../global/maps/source-lines.ts';

export async function postmapMain(context: CommandContext): Promise<number> {
  return runTableCommand(context, {
    fallbackName: 'postmap',
    optionSpec: 'bc:d:fFhimnNopq:rsuUvw',
    usageFlags: '[-bfFhimnNoprsuUvw]',
    duplicates: (flags) => {
      const letter = lastOf(flags, ['r', 'w']);
      return letter === 'r' ? 'replace' : letter === 'w' ? 'ignore' : 'warn';
    },
    separator: '\t',
    build: buildTable,
  });
}

function lastOf(flags: Map<string, string[]>, letters: string[]): string | undefined {
  // Option order decides between conflicting letters; Map keeps first-seen order only, so
  // this picks the letter that appeared, preferring the later one in `letters` order when
  // both appear (a rare combination).
  const present = letters.filter((letter) => flags.has(letter));
  return present.at(-1);
}

async function buildTable(request: BuildRequest): Promise<void> {
  const { source, writer } = await openTableBuild(request, {
    incremental: request.flags.has('i'), nullTerminated: lastOf(request.flags, ['N', 'n']) === 'N',
  });
  for (const line of readLogicalLines(source.text, source.shownPath, request.reporter)) {
    const pair = splitKeyValue(line, source.shownPath, request.reporter);
    if (pair !== undefined) writer.append(pair.key, pair.value);
  }
  await writer.close();
}
