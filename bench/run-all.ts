// `npm run bench`: the benchmarks one after the other, each in a process of its own (so one's
// heap and JIT state do not colour the other's figures): bench/smtp-bench.ts (mtalab against
// a real Postfix on loopback) then bench/sim-bench.ts (the simulated world, with --expose-gc
// for its retained-heap figures). The environment passes through (BENCH_CPU_PROF,
// SIM_BENCH_*). Exits non-zero when either failed, after running both.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches: Array<{ file: string; flags: string[] }> = [
  { file: 'smtp-bench.ts', flags: [] },
  { file: 'sim-bench.ts', flags: ['--expose-gc'] },
];

let failed = 0;
for (const bench of benches) {
  const path = fileURLToPath(new URL(bench.file, import.meta.url));
  const result = spawnSync(process.execPath, [...bench.flags, '--import', 'tsx', path], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench: ${bench.file} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
