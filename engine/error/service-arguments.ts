// The words of a master.cf entry that are the program's own arguments: what is left after
// the server skeleton's options (-o name=value, -v, -D, -d, -S, -t type, -u, -z, -n name,
// -s count, -i seconds, -l, -c ...) are taken out, as its getopt loop leaves them in argv.
// Used by the error, discard and virtual services (which take none and stop on any) and by
// pipe (whose arguments are flags=... user=... argv=...).
// Models the getopt() loop of src/master/single_server.c.

/** Options of the server skeleton that take a value (getopt's "cdDi:lm:n:o:s:St:uvVz"). */
const OPTIONS_WITH_VALUE = new Set(['i', 'm', 'n', 'o', 's', 't']);
/** Arguments examined at most. */
const ARGUMENTS_MAX = 10_000;

export function serviceArguments(words: readonly string[]): string[] {
  let index = 0;
  for (; index < words.length && index < ARGUMENTS_MAX; index++) {
    const word = words[index]!;
    if (word === '--') { index++; break; }
    if (!word.startsWith('-') || word === '-') break;
    const letter = word[1]!;
    if (OPTIONS_WITH_VALUE.has(letter) && word.length === 2) index++;
  }
  return words.slice(index, ARGUMENTS_MAX);
}
