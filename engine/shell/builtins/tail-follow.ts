// tail with -f/-F: after the last lines, keep watching the file and print what is appended,
// until Ctrl-C -- `tail -f /var/log/maillog` while mail moves through the World. The file is
// polled on the platform timers every FOLLOW_POLL_MS of virtual time (never a wall clock),
// so following advances exactly as the scheduler does. Without -f it is the plain tail of
// ./text.ts. Called through engine/shell/builtins/index.ts. Trusts the file system; each
// poll reads at most FOLLOW_READ_BYTES_MAX. Models GNU coreutils' tail -f (polling mode,
// as without inotify) and its messages.

import { errorText, resolvePath } from '../paths.ts';
import { tail as plainTail } from './text.ts';
import { invalidOption, parseOptions, type Builtin, type BuiltinContext } from './types.ts';

/** coreutils' default sleep interval between checks. */
export const FOLLOW_POLL_MS = 1000;
/** Bytes shown per poll; more waits for the next poll. */
export const FOLLOW_READ_BYTES_MAX = 256 * 1024;
/** Polls one tail -f makes before it stops on its own (about eleven virtual days). */
export const FOLLOW_POLLS_MAX = 1_000_000;
const LAST_LINES_MAX = 1_000_000;

/** Waits on the platform timers; false when Ctrl-C came first. */
function pause(context: BuiltinContext, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = context.host.platform.timers.after(ms, () => resolve(true));
    void context.interrupted?.then(() => { cancel(); resolve(false); });
  });
}

async function sizeOf(context: BuiltinContext, path: string): Promise<number | undefined> {
  try {
    const stat = await context.host.platform.fs.stat(path);
    return stat.isFile ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

async function readRange(context: BuiltinContext, path: string, start: number, length: number): Promise<Uint8Array> {
  const handle = await context.host.platform.fs.open(path, 'r');
  try {
    return await handle.read(length, start);
  } finally {
    await handle.close();
  }
}

/** The offset where the last `count` lines of `data` begin. */
function lastLinesStart(data: Uint8Array, count: number): number {
  if (count === 0) return data.length;
  let seen = 0;
  let index = data.length - 1;
  if (index >= 0 && data[index] === 0x0a) index--;
  for (; index >= 0; index--) {
    if (data[index] === 0x0a && ++seen === count) return index + 1;
  }
  return 0;
}

export const tail: Builtin = async (context) => {
  const words = context.argv.slice(1).map((word) => (/^-[0-9]+$/.test(word) ? `-n${word.slice(1)}` : word));
  const follow = words.some((word) => /^-[a-zA-Z]*[fF]/.test(word) || word === '--follow');
  if (!follow) return plainTail(context);
  const options = parseOptions(words.filter((word) => word !== '--follow'), 'fFqv', 'ns');
  if (options.invalid !== undefined) return invalidOption(context, 'tail', options.invalid);
  const countText = options.values.get('n') ?? '10';
  if (!/^[0-9]+$/.test(countText)) {
    context.stderr.write(`tail: invalid number of lines: '${countText}'\n`);
    return 1;
  }
  const retry = options.flags.has('F');
  const operand = options.operands[0];
  if (operand === undefined || operand === '-' || options.operands.length > 1) {
    context.stderr.write('tail: following standard input or several files is not supported here; name one file\n');
    return 1;
  }
  const path = resolvePath(context.cwd, operand);
  let offset = 0;
  const initial = await sizeOf(context, path);
  if (initial === undefined) {
    try {
      await context.host.platform.fs.stat(path);
      context.stderr.write(`tail: ${operand}: cannot follow this kind of file\n`);
    } catch (error) {
      context.stderr.write(`tail: cannot open '${operand}' for reading: ${errorText(error)}\n`);
    }
    if (!retry) {
      context.stderr.write('tail: no files remaining\n');
      return 1;
    }
  } else {
    const data = await readRange(context, path, 0, initial);
    offset = lastLinesStart(data, Math.min(Number(countText), LAST_LINES_MAX));
    context.stdout.write(data.subarray(offset));
    offset = initial;
  }
  let present = initial !== undefined;
  for (let poll = 0; poll < FOLLOW_POLLS_MAX; poll++) {
    if (!(await pause(context, FOLLOW_POLL_MS))) return 130;
    const size = await sizeOf(context, path);
    if (size === undefined) {
      if (present && retry) context.stderr.write(`tail: '${operand}' has become inaccessible: No such file or directory\n`);
      present = false;
      continue;
    }
    if (!present) {
      if (retry) context.stderr.write(`tail: '${operand}' has appeared;  following new file\n`);
      present = true;
      offset = 0;
    }
    if (size < offset) {
      context.stderr.write(`tail: ${operand}: file truncated\n`);
      offset = 0;
    }
    if (size === offset) continue;
    const chunk = await readRange(context, path, offset, Math.min(size - offset, FOLLOW_READ_BYTES_MAX));
    offset += chunk.length;
    context.stdout.write(chunk);
  }
  return 0;
};
