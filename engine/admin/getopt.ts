// getopt(3) as Postfix's commands call it on Linux: GETOPT(argc, argv, "+...") with glibc's
// diagnostics ("prog: invalid option -- 'Z'", "prog: option requires an argument -- 'c'"),
// options ending at the first operand, "-" or "--". Each option is handed to a visitor as
// it is met, so a command acts on them in the order given, as the C loops do. Called by
// postconf, postsuper and (through engine/global/maps/command-support.ts) postmap and
// postalias. Trusts nothing in argv.

export interface GetoptOutput {
  program: string;
  /** Where glibc's complaint goes (stderr). */
  complain(text: string): void;
  /** The command's usage fatal: it does not return. */
  usage(): never;
}

/** Calls `visit(letter, value)` for each option in argv (value '' for a flag) and returns
 *  the operands. `spec` is getopt's option string ("c:d:fq:"). */
export function forEachOption(
  argv: readonly string[], spec: string, output: GetoptOutput, visit: (letter: string, value: string) => void,
): string[] {
  let index = 1;
  for (; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    if (argument === '--') { index++; break; }
    if (!argument.startsWith('-') || argument === '-') break;
    for (let position = 1; position < argument.length; position++) {
      const letter = argument[position] ?? '';
      const at = spec.indexOf(letter);
      if (at < 0 || letter === ':') {
        output.complain(`${output.program}: invalid option -- '${letter}'\n`);
        output.usage();
      }
      if (spec[at + 1] !== ':') {
        visit(letter, '');
        continue;
      }
      let value = argument.slice(position + 1);
      if (value === '') {
        index++;
        if (index >= argv.length) {
          output.complain(`${output.program}: option requires an argument -- '${letter}'\n`);
          output.usage();
        }
        value = argv[index] ?? '';
      }
      visit(letter, value);
      break;
    }
  }
  return argv.slice(index);
}
