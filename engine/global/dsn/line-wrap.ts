// Long report lines folded at word boundaries with continuation lines indented, as the
// bounce service folds "<rcpt>: reason" and "Diagnostic-Code: ..." lines (79 columns,
// 4 spaces of indent). A word longer than the line is never split.
// Called by the DSN composer. Trusts nothing; the output has no trailing blanks.
// Models src/util/line_wrap.c.

/** Line width and continuation indent of the bounce service's wrapped lines. */
export const REPORT_LINE_LENGTH = 79;
export const REPORT_LINE_INDENT = 4;

/** Words examined at most per wrapped text (a named bound on the loop). */
const WRAP_WORDS_MAX = 100_000;

const trimEnd = (text: string): string => text.replace(/[ \t\r\n\f\v]+$/, '');

/** Splits `text` into lines of at most `length` columns where spaces allow; lines after
 *  the first are indented by `indent` (a negative indent indents the first line instead). */
export function lineWrap(text: string, length = REPORT_LINE_LENGTH, indent = REPORT_LINE_INDENT): string[] {
  const lines: string[] = [];
  let currentIndent = indent < 0 ? -indent : 0;
  let currentLength = indent < 0 ? length + indent : length;
  let lineStart = 0;
  let word = 0;
  for (let count = 0; count < WRAP_WORDS_MAX; count++) {
    const blank = text.slice(word).search(/[ \t]/);
    const nextSpace = blank < 0 ? text.length : word + blank;
    if (word > lineStart && nextSpace - lineStart > currentLength) {
      lines.push(' '.repeat(currentIndent) + trimEnd(text.slice(lineStart, word)));
      while (word < text.length && /\s/.test(text[word] ?? '')) word++;
      if (lineStart === 0) {
        currentIndent += indent;
        currentLength -= indent;
      }
      lineStart = word;
    }
    if (nextSpace >= text.length) break;
    word = nextSpace + 1;
  }
  lines.push(' '.repeat(currentIndent) + trimEnd(text.slice(lineStart)));
  return lines;
}
