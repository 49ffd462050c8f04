// Summarises a V8 .cpuprofile of the mtalab daemon (written by `BENCH_CPU_PROF=DIR npm run
// bench`): CPU time by engine area (the deepest engine/ frame of each sample; samples
// outside the engine by their leaf function), then by engine function. Run with
// `node --import tsx bench/cpu-profile-summary.ts FILE [ROWS]`. Trusts the file's JSON.

import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const [path, rowsText] = process.argv.slice(2);
if (path === undefined) {
  console.error('usage: cpu-profile-summary FILE [ROWS]');
  process.exit(2);
}
const rows = Number.parseInt(rowsText ?? '30', 10) || 30;
const STACK_DEPTH_MAX = 400;
const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
let totalUs = 0;
let idleUs = 0;
const add = (map: Map<string, number>, key: string, us: number): void => { map.set(key, (map.get(key) ?? 0) + us); };

profile.samples.forEach((sample, index) => {
  const us = profile.timeDeltas[index] ?? 0;
  totalUs += us;
  const leaf = byId.get(sample)!.callFrame.functionName || '(anonymous)';
  if (leaf === '(idle)') idleUs += us;
  let id: number | undefined = sample;
  for (let depth = 0; id !== undefined && depth < STACK_DEPTH_MAX; depth++) {
    const frame = byId.get(id)!.callFrame;
    const match = /\/engine\/(.*)\.ts$/.exec(frame.url);
    if (match !== null) {
      add(byArea, match[1]!.split('/').slice(0, 2).join('/'), us);
      add(byFunction, `${frame.functionName || '(anonymous)'} ${match[1]}`, us);
      return;
    }
    id = parentOf.get(id);
  }
  add(byArea, `[${leaf}]`, us);
});

const ms = (us: number): string => (us / 1000).toFixed(0).padStart(7);
console.log(`${ms(totalUs)} ms sampled, ${ms(totalUs - idleUs).trim()} ms busy`);
console.log('\nby area (deepest engine frame):');
for (const [key, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${ms(us)}  ${key}`);
console.log('\nby engine function:');
for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${ms(us)}  ${key}`);
