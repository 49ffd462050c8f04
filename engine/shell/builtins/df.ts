// df(1) as GNU coreutils 9.1 prints it for the host's one file system: 1K blocks, or -h
// powers of 1024 ("1.5M", "27G"), Use% rounded up, "Mounted on /". Free space comes from the
// platform's statfs (the simulated disk's budget, so a "disk full" fault shows as 100%
// here); size and use come from the simulated disk's own count (its `faults`), and show as
// "-" on a platform that only reports free space. Called through
// engine/shell/builtins/index.ts. Trusts the platform's numbers.

import { errorText, resolvePath } from '../paths.ts';
import { complain, invalidOption, parseOptions, type Builtin } from './types.ts';

/** The device name the simulated host's disk has (a virtio disk, as on a cloud VM). */
export const DISK_DEVICE = '/dev/vda';

interface SpaceSource {
  statfs?(path: string): Promise<{ blockSize: number; blocksFree: number }>;
  faults?: { readonly bytesMax: number | undefined; usedBytes(): number };
}

interface Usage { sizeBytes: number | undefined; usedBytes: number | undefined; availableBytes: number }

/** -h: powers of 1024, rounded up, one decimal below 10 (coreutils' human_ceiling). */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  if (value < 10) {
    const tenths = Math.ceil(value * 10 - 1e-9) / 10;
    if (tenths < 10) return `${tenths.toFixed(1)}${units[unit]}`;
    return `10${units[unit]}`;
  }
  const whole = Math.ceil(value - 1e-9);
  if (whole >= 1024 && unit < units.length - 1) return `1.0${units[unit + 1]}`;
  return `${whole}${units[unit]}`;
}

export const df: Builtin = async (context) => {
  const options = parseOptions(context.argv.slice(1), 'hklPT');
  if (options.invalid !== undefined) return invalidOption(context, 'df', options.invalid);
  const fs = context.host.platform.fs as typeof context.host.platform.fs & SpaceSource;
  if (typeof fs.statfs !== 'function') return complain(context, 'df', 'no file systems processed');
  const operands = options.operands.length === 0 ? ['/'] : options.operands;
  const rows: string[][] = [];
  let status = 0;
  for (const operand of operands) {
    try {
      const path = resolvePath(context.shell.cwd, operand);
      await fs.stat(path);
      const space = await fs.statfs(path);
      rows.push(row(usageOf(fs, space), options.flags.has('h')));
    } catch (error) {
      status = complain(context, 'df', `${operand}: ${errorText(error)}`);
    }
  }
  if (rows.length === 0) return status;
  const human = options.flags.has('h');
  const header = ['Filesystem', human ? 'Size' : '1K-blocks', 'Used', human ? 'Avail' : 'Available', 'Use%', 'Mounted on'];
  const minimum = [14, 5, 5, 5, 4, 0];
  const widths = header.map((title, column) => Math.max(minimum[column]!, title.length, ...rows.map((cells) => cells[column]!.length)));
  const render = (cells: string[]) => cells.map((cell, column) => {
    if (column === cells.length - 1) return cell;
    return column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!);
  }).join(' ');
  context.stdout.write(`${[header, ...rows].map(render).join('\n')}\n`);
  return status;
};

function usageOf(fs: SpaceSource, space: { blockSize: number; blocksFree: number }): Usage {
  const freeBytes = space.blockSize * space.blocksFree;
  if (fs.faults === undefined) return { sizeBytes: undefined, usedBytes: undefined, availableBytes: freeBytes };
  // The kernel counts whole blocks: use shows in 1K units at least.
  const usedBytes = Math.ceil(fs.faults.usedBytes() / 1024) * 1024;
  const limit = fs.faults.bytesMax;
  // A disk without a budget reports a fixed free count; show it as the disk's size.
  if (limit === undefined) return { sizeBytes: freeBytes, usedBytes, availableBytes: Math.max(0, freeBytes - usedBytes) };
  return { sizeBytes: limit, usedBytes, availableBytes: freeBytes };
}

function row(usage: Usage, human: boolean): string[] {
  const show = (bytes: number | undefined, roundUp: boolean) => {
    if (bytes === undefined) return '-';
    if (human) return humanSize(bytes);
    return String(roundUp ? Math.ceil(bytes / 1024) : Math.floor(bytes / 1024));
  };
  const { sizeBytes, usedBytes, availableBytes } = usage;
  let percent = '-';
  if (usedBytes !== undefined && usedBytes + availableBytes > 0) {
    percent = `${Math.ceil((usedBytes * 100) / (usedBytes + availableBytes))}%`;
  }
  return [DISK_DEVICE, show(sizeBytes, false), show(usedBytes, true), show(availableBytes, false), percent, '/'];
}
