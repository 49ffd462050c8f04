// postconf -e, -# and -X on main.cf: replace, comment out or remove "name = value" entries
// while every other line of the file (comments, blank lines, other entries, their
// continuation lines) stays byte for byte as it was. The result is written to main.cf.tmp
// and renamed over main.cf, as Postfix does. Called by postconf.ts. Trusts nothing in the
// arguments or the file. Models pcf_edit_main() in postconf_edit.c.

import type { FileSystem } from '../platform/types.ts';
import { PlatformError, describeCode } from '../platform/types.ts';
import type { Reporter } from '../global/msg.ts';
import { splitNameValue } from '../global/config/main-cf.ts';

export type EditKind = 'edit' | 'comment-out' | 'exclude';

interface Request {
  /** The new value for -e; undefined for -# and -X. */
  value: string | undefined;
  found: number;
}

const isSpace = (character: string): boolean => ' \t\n\r\v\f'.includes(character) && character !== '';

function parseRequests(kind: EditKind, operands: readonly string[], reporter: Reporter): Map<string, Request> {
  const requests = new Map<string, Request>();
  for (const operand of operands) {
    if (operand.includes('\n')) reporter.fatal('-e, -X, or -# accepts no multi-line input');
    let text = operand;
    while (text !== '' && isSpace(text.charAt(0))) text = text.slice(1);
    if (text.startsWith('#')) reporter.fatal('-e, -X, or -# accepts no comment input');
    let name: string;
    let value: string | undefined;
    if (kind === 'edit') {
      const split = splitNameValue(text);
      if (typeof split === 'string') reporter.fatal(`${split}: "${text}"`);
      name = split.name;
      value = split.value;
    } else {
      if (text === '') reporter.fatal('-X or -# requires non-blank parameter names');
      if (text.includes('=')) reporter.fatal('-X or -# requires parameter names without value');
      name = text.replace(/[ \t\n\r\v\f]+$/, '');
    }
    const earlier = requests.get(name);
    if (earlier !== undefined) {
      reporter.warn(`ignoring earlier request: '${name} = ${earlier.value ?? '(null)'}'`);
      requests.delete(name);
    }
    requests.set(name, { value, found: 0 });
  }
  return requests;
}

/** Physical lines with their newline kept, the last one possibly without. */
function physicalLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.filter((line) => line !== '');
}

/** The edited text of main.cf. */
export function editMainCfText(kind: EditKind, text: string, requests: Map<string, Request>, path: string, reporter: Reporter): string {
  let output = '';
  let interesting = false;
  for (const line of physicalLines(text)) {
    let first = 0;
    while (first < line.length && isSpace(line.charAt(first))) first++;
    if (first === line.length || line.charAt(first) === '#') {
      output += line;
      continue;
    }
    if (first > 0) {
      if (!interesting) output += line;
      else if (kind === 'comment-out') output += `#${line}`;
      continue;
    }
    let keyEnd = 0;
    while (keyEnd < line.length && !isSpace(line.charAt(keyEnd)) && line.charAt(keyEnd) !== '=') keyEnd++;
    const key = line.slice(0, keyEnd);
    const request = requests.get(key);
    interesting = request !== undefined;
    if (request === undefined) {
      output += line;
      continue;
    }
    if (request.found++ === 1) reporter.warn(`${path}: multiple entries for "${key}"`);
    if (kind === 'edit') output += `${key} = ${request.value ?? ''}\n`;
    else if (kind === 'comment-out') output += `#${line}`;
  }
  if (kind === 'edit') {
    for (const [name, request] of requests) {
      if (request.found === 0) output += `${name} = ${request.value ?? ''}\n`;
    }
  }
  return output;
}

/** Applies -e/-#/-X to DIRECTORY/main.cf through a temporary file. */
export async function editMainCf(fs: FileSystem, directory: string, kind: EditKind, operands: readonly string[], reporter: Reporter): Promise<void> {
  const requests = parseRequests(kind, operands, reporter);
  const path = `${directory}/main.cf`;
  const temporary = `${path}.tmp`;
  const reason = (error: unknown): string => (error instanceof PlatformError ? describeCode(error.code) : String(error));
  try {
    await fs.writeFile(temporary, '', { mode: 0o644 });
  } catch (error) {
    reporter.fatal(`open ${temporary}: ${reason(error)}`);
  }
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(path));
  } catch (error) {
    await fs.unlink(temporary).catch(() => undefined);
    return reporter.fatal(`open ${path} for reading: ${reason(error)}`);
  }
  const edited = editMainCfText(kind, text, requests, path, reporter);
  try {
    await fs.writeFile(temporary, edited, { mode: 0o644 });
    await fs.rename(temporary, path);
  } catch (error) {
    reporter.fatal(`close ${temporary}: ${reason(error)}`);
  }
}
