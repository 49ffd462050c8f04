// `npm run bench`: mtalab (node real mode) against a private real Postfix 3.7.11, configured
// alike from one InstanceSpec (test/interop/real-instance.ts): an inet smtpd on a 127.x
// port, nothing local (mydestination empty), everything relayed by relayhost to its own
// Postfix smtp-sink on loopback. Postfix's smtp-source sends BENCH_MESSAGES 1 KB messages
// over BENCH_SESSIONS sessions to each in turn; measured per side:
//   accepted msgs/s   BENCH_MESSAGES / time until smtp-source has ended (every 250 in);
//   end-to-end msgs/s BENCH_MESSAGES / time until the sink has counted them all (-c);
//   peak memory       each side: the peak over samples of the sum of VmHWM of the master
//                     and its children (mtalab: its smtpd workers) and, fairer for shared
//                     pages, the peak sum of Pss; mtalab's daemon alone is shown too.
// Both sync every queue file before 250 (Postfix always; mtalab's node platform in cleanup).
// Prints a table and the ratios mtalab/Postfix. Needs root (the real Postfix) and the
// postfix package's smtp-source/smtp-sink. Loopback only; every process stopped by its pid;
// each phase bounded by BENCH_TIMEOUT_S. BENCH_ORDER=postfix,mtalab changes the order;
// BENCH_ROUNDS (2) alternates the sides that often and reports each side's best round;
// BENCH_SIDES=mtalab runs one side; MTALAB_ROOT runs another checkout's bin/mtalab.mjs;
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of the mtalab daemon there (its bundle, as
// `postfix start` runs it, see startProfiled). BENCH_STRACE=FILE attaches
// `strace -c -f` to each side's master (and its children) for the run and writes the counts
// there (FILE.mtalab, FILE.postfix). BENCH_THREADS=1 prints each side's master's CPU per
// thread (mtalab's smtpd workers' threads too, as "worker PID:..."). CPU is shown split into user and system time.
// BENCH_SMTPD_PROCESSES (0) sets mtalab_smtpd_processes, mtalab's smtpd worker processes.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort, RealPostfixInstance, type InstanceSpec } from '../test/interop/real-instance.ts';
import { MtalabInstance } from '../test/interop/mtalab-instance.ts';

const MESSAGES = positive(process.env.BENCH_MESSAGES, 2000);
/** Messages each side gets (same source, same sink) before the measured run, unmeasured:
 *  BENCH_WARMUP=N gives steady-state figures (mtalab's JIT compiles ~900 functions in its
 *  first thousands of messages; Postfix forks and keeps its smtpd and cleanup processes).
 *  Default 2000: a mail server runs for days, so the steady state is the figure; BENCH_WARMUP=0
 *  measures from a cold start. */
const WARMUP = nonNegative(process.env.BENCH_WARMUP, 2000);
const SESSIONS = positive(process.env.BENCH_SESSIONS, 10);
const ROUNDS = positive(process.env.BENCH_ROUNDS, 2);
const MESSAGE_SIZE = 1024;
const TIMEOUT_MS = positive(process.env.BENCH_TIMEOUT_S, 300) * 1000;
const SAMPLE_MS = 50;
const POLL_MS = 20;
const PROCESSES_MAX = 500;
const SMTP_SOURCE = '/usr/sbin/smtp-source';
const SMTP_SINK = '/usr/sbin/smtp-sink';

function positive(text: string | undefined, fallback: number): number {
  const value = Number.parseInt(text ?? '', 10);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function nonNegative(text: string | undefined, fallback: number): number {
  const value = Number.parseInt(text ?? '', 10);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

type SideName = 'mtalab' | 'postfix';

interface Result {
  side: SideName;
  acceptedSeconds: number;
  endToEndSeconds: number;
  received: number;
  /** SMTP sessions the sink saw (fewer than messages: the relay client reused connections). */
  sinkSessions: number;
  /** The daemon alone (mtalab) or the master alone (Postfix), kB. */
  mainHwmKb: number;
  /** Peak over samples of the sum of VmHWM over the process tree, kB. */
  treeHwmKb: number;
  /** Peak over samples of the sum of Pss over the process tree, kB. */
  treePssKb: number;
  processes: number;
  /** CPU seconds (user + system) the side spent: live processes of the tree plus the
   *  children its master has reaped. */
  cpuSeconds: number;
  /** The system part of cpuSeconds. */
  systemSeconds: number;
}

const TICKS_PER_SECOND = 100;

/** User and system CPU seconds. */
interface CpuTime { user: number; system: number }

/** utime, stime (+ cutime, cstime of reaped children) of a process, in seconds. */
function cpuOf(pid: number, withReaped: boolean): CpuTime {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // After the comm field: state=0, ..., utime=11, stime=12, cutime=13, cstime=14.
    const user = fields[11]! + (withReaped ? fields[13]! : 0);
    const system = fields[12]! + (withReaped ? fields[14]! : 0);
    return { user: user / TICKS_PER_SECOND, system: system / TICKS_PER_SECOND };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** CPU seconds of a process tree (the root counts its reaped children too). */
function treeCpu(root: number): CpuTime {
  return processTree(root).reduce((sum, pid) => {
    const own = cpuOf(pid, pid === root);
    return { user: sum.user + own.user, system: sum.system + own.system };
  }, { user: 0, system: 0 });
}

/** With BENCH_CPU_PROF: the master's bundle (engine-bundle.ts of this tree or MTALAB_ROOT's),
 *  run as `postfix start` runs it but with node's --cpu-prof (node refuses it in
 *  NODE_OPTIONS, and the bundle is what the benchmark measures). */
async function startProfiled(instance: MtalabInstance, directory: string): Promise<number> {
  const root = process.env.MTALAB_ROOT || fileURLToPath(new URL('..', import.meta.url));
  const { engineBundles } = await import(join(root, 'engine/cli/engine-bundle.ts')) as
    { engineBundles: (names: string[]) => Promise<Record<string, string | undefined>> };
  const bundle = (await engineBundles(['master'])).master;
  if (bundle === undefined) throw new Error('no master bundle (esbuild)');
  // BENCH_NODE_FLAGS: more node flags for it (e.g. --trace-gc); its output goes to DIR/master.out.
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const output = openSync(join(directory, 'master.out'), 'a');
  spawn(process.execPath, ['--enable-source-maps', '--cpu-prof', `--cpu-prof-dir=${directory}`, ...extra, bundle, '-c', instance.configDirectory], {
    detached: true, stdio: ['ignore', output, output], cwd: '/', env: { ...process.env, TZ: 'UTC', LANG: 'C' },
  }).unref();
  closeSync(output);
  for (let waited = 0; waited < TIMEOUT_MS; waited += POLL_MS) {
    const pid = instance.masterPid();
    if (pid !== undefined) {
      await sleep(500);
      console.log(`mtalab daemon pid ${pid} (profile ${directory}/CPU.*.${pid}.*.cpuprofile)`);
      return pid;
    }
    await sleep(POLL_MS);
  }
  throw new Error('mtalab master did not come up');
}

/** Per-thread CPU seconds of one process, by thread name (BENCH_THREADS=1): how much of
 *  the daemon's CPU is its main thread, and how much V8's and libuv's helper threads. */
function threadCpu(pid: number, byName = new Map<string, number>(), label = ''): Map<string, number> {
  try {
    for (const task of readdirSync(`/proc/${pid}/task`).slice(0, PROCESSES_MAX)) {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const name = `${label}${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}/${task === String(pid) ? 'main' : task}`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      byName.set(name, (byName.get(name) ?? 0) + (fields[11]! + fields[12]!) / TICKS_PER_SECOND);
    }
  } catch {
    // Gone meanwhile.
  }
  return byName;
}

/** threadCpu of mtalab's master and its smtpd workers (theirs labelled worker PID:); of
 *  Postfix's master alone (its ~150 processes would make too long a line). */
function sideThreadCpu(side: SideName, root: number): Map<string, number> {
  const byName = threadCpu(root);
  if (side !== 'mtalab') return byName;
  for (const pid of processTree(root)) if (pid !== root) threadCpu(pid, byName, `worker ${pid}:`);
  return byName;
}

function reportThreads(before: Map<string, number>, after: Map<string, number>): void {
  const rows = [...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)] as const).filter(([, seconds]) => seconds > 0);
  console.log(`threads: ${rows.sort((a, b) => b[1] - a[1]).map(([name, seconds]) => `${name} ${(seconds / MESSAGES * 1000).toFixed(2)} ms/msg`).join(', ')}`);
}

/** `strace -c -f -p PID -o FILE` for the run (BENCH_STRACE); stop() ends it by its pid. */
function traceSyscalls(root: number, file: string | undefined): { stop: () => Promise<void> } {
  if (file === undefined || file === '') return { stop: async () => {} };
  // BENCH_STRACE_FULL=1: every call with its arguments instead of the counts.
  const mode = process.env.BENCH_STRACE_FULL === '1' ? ['-tt', '-s', '48'] : ['-c'];
  const child = spawn('strace', [...mode, '-f', '-p', String(root), '-o', file], { stdio: 'ignore' });
  children.add(child);
  return {
    stop: async () => {
      const ended = new Promise<void>((done) => child.once('close', () => done()));
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGINT');
      await Promise.race([ended, sleep(5000)]);
      stopChild(child);
    },
  };
}

/** kB value of a "Name:   123 kB" line in /proc/PID/status or smaps_rollup. */
function procValue(path: string, name: string): number {
  try {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(path, 'utf8'));
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

/** A pid and its descendants (from /proc/PID/stat parent ids), bounded. */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [root];
  for (let index = 0; index < tree.length && tree.length < PROCESSES_MAX; index++) {
    for (const [pid, parent] of parents) if (parent === tree[index]) tree.push(pid);
  }
  return tree;
}

/** Samples a process tree's memory every SAMPLE_MS until stopped. */
function sampleMemory(root: number): { stop: () => Promise<{ mainHwmKb: number; treeHwmKb: number; treePssKb: number; processes: number }> } {
  let running = true;
  const figures = { mainHwmKb: 0, treeHwmKb: 0, treePssKb: 0, processes: 0 };
  const seen = new Set<number>();
  const take = (): void => {
    const tree = processTree(root);
    let hwm = 0;
    let pss = 0;
    for (const pid of tree) {
      seen.add(pid);
      hwm += procValue(`/proc/${pid}/status`, 'VmHWM');
      pss += procValue(`/proc/${pid}/smaps_rollup`, 'Pss');
    }
    figures.mainHwmKb = Math.max(figures.mainHwmKb, procValue(`/proc/${root}/status`, 'VmHWM'));
    figures.treeHwmKb = Math.max(figures.treeHwmKb, hwm);
    figures.treePssKb = Math.max(figures.treePssKb, pss);
  };
  const loop = (async () => {
    for (let rounds = 0; running && rounds < TIMEOUT_MS / SAMPLE_MS * 4; rounds++) {
      take();
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    stop: async () => {
      take();
      running = false;
      await loop;
      figures.processes = seen.size;
      return figures;
    },
  };
}

const children = new Set<ChildProcess>();

function stopChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  children.delete(child);
}

/** smtp-sink -c on a loopback address; counts "mesg=N" from its running counters. */
async function startSink(address: string): Promise<{ port: number; messages: () => number; sessions: () => number; stop: () => void }> {
  const port = await freeLoopbackPort(address);
  const child = spawn(SMTP_SINK, ['-u', 'postfix', '-c', `${address}:${port}`, '256'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let count = 0;
  let sessions = 0;
  let tail = '';
  child.stdout!.setEncoding('latin1');
  child.stdout!.on('data', (chunk: string) => {
    const text = tail + chunk;
    for (const match of text.matchAll(/mesg=(\d+)/g)) count = Math.max(count, Number(match[1]));
    for (const match of text.matchAll(/sess=(\d+)/g)) sessions = Math.max(sessions, Number(match[1]));
    tail = text.slice(-32);
  });
  await sleep(200);
  if (child.exitCode !== null) throw new Error(`smtp-sink exited with ${child.exitCode}`);
  return { port, messages: () => count, sessions: () => sessions, stop: () => stopChild(child) };
}

/** smtp-source; resolves with its exit status. */
function runSource(address: string, port: number, messages = MESSAGES): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(SMTP_SOURCE, ['-m', String(messages), '-s', String(SESSIONS), '-l', String(MESSAGE_SIZE),
      '-f', 'bench@source.example.test', '-t', 'sink@remote.example.test', `${address}:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const timer = setTimeout(() => stopChild(child), TIMEOUT_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code !== 0) process.stderr.write(`smtp-source exit ${code}: ${stderr}`);
      done(code ?? 1);
    });
  });
}

/** mtalab's smtpd worker processes (mtalab_smtpd_processes); Postfix forks an smtpd per
 *  session by itself (up to master.cf's maxproc, default_process_limit 100). */
const MTALAB_SMTPD_PROCESSES = process.env.BENCH_SMTPD_PROCESSES ?? '0';

function spec(side: SideName, listen: string, sinkAddress: string, sinkPort: number): InstanceSpec {
  return {
    smtpdListen: listen,
    mainCf: `mydestination =
relayhost = [${sinkAddress}]:${sinkPort}
${side === 'mtalab' ? `mtalab_smtpd_processes = ${MTALAB_SMTPD_PROCESSES}\n` : ''}`,
    // Postfix's smtp client asks scache for cached connections (smtp_connection_cache_on_demand).
    masterCf: 'scache    unix  -       -       n       -       1       scache\n',
  };
}

async function benchSide(side: SideName): Promise<Result> {
  const listenAddress = side === 'mtalab' ? '127.0.0.1' : '127.0.0.2';
  const sinkAddress = side === 'mtalab' ? '127.0.0.3' : '127.0.0.4';
  const sink = await startSink(sinkAddress);
  const port = await freeLoopbackPort(listenAddress);
  const instanceSpec = spec(side, `${listenAddress}:${port}`, sinkAddress, sink.port);
  const instance = side === 'mtalab' ? MtalabInstance.create(instanceSpec, 'mtalab-bench-') : RealPostfixInstance.create(instanceSpec);
  const profile = process.env.BENCH_CPU_PROF;
  try {
    let root: number;
    if (instance instanceof MtalabInstance) root = profile ? await startProfiled(instance, profile) : await instance.start();
    else {
      await instance.start();
      root = masterPidOf(instance);
    }
    const memory = sampleMemory(root);
    if (WARMUP > 0) {
      if (await runSource(listenAddress, port, WARMUP) !== 0) throw new Error(`${side}: warm-up smtp-source failed`);
      for (let waited = 0; sink.messages() < WARMUP && waited < TIMEOUT_MS; waited += POLL_MS) await sleep(POLL_MS);
    }
    const strace = traceSyscalls(root, process.env.BENCH_STRACE === undefined ? undefined : `${process.env.BENCH_STRACE}.${side}`);
    // BENCH_PERF=FILE: `perf record` of the master's main thread (CPU time, not wall time;
    // with BENCH_NODE_FLAGS=--perf-basic-prof JavaScript frames get names).
    const perf = process.env.BENCH_PERF && side === 'mtalab'
      ? spawn('perf', ['record', '-e', 'cpu-clock', '-F', '2000', '-g', process.env.BENCH_PERF_ALL === '1' ? '-p' : '-t', String(root), '-o', process.env.BENCH_PERF], { stdio: 'ignore' })
      : undefined;
    if (perf !== undefined) children.add(perf);
    if (process.env.BENCH_STRACE || perf !== undefined) await sleep(300);
    const sinkBefore = sink.messages();
    const sessionsBefore = sink.sessions();
    const cpuBefore = treeCpu(root);
    const threadsBefore = sideThreadCpu(side, root);
    const started = performance.now();
    const status = await runSource(listenAddress, port);
    const acceptedSeconds = (performance.now() - started) / 1000;
    if (status !== 0) throw new Error(`${side}: smtp-source failed`);
    for (let waited = 0; sink.messages() - sinkBefore < MESSAGES && waited < TIMEOUT_MS; waited += POLL_MS) await sleep(POLL_MS);
    const endToEndSeconds = (performance.now() - started) / 1000;
    const cpuAfter = treeCpu(root);
    if (process.env.BENCH_THREADS === '1') reportThreads(threadsBefore, sideThreadCpu(side, root));
    await strace.stop();
    if (perf !== undefined) {
      const ended = new Promise<void>((done) => perf.once('close', () => done()));
      process.kill(perf.pid!, 'SIGINT');
      await Promise.race([ended, sleep(10_000)]);
      stopChild(perf);
    }
    const cpuSeconds = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
    const systemSeconds = cpuAfter.system - cpuBefore.system;
    const figures = await memory.stop();
    return { side, acceptedSeconds, endToEndSeconds, received: sink.messages() - sinkBefore, sinkSessions: sink.sessions() - sessionsBefore, cpuSeconds, systemSeconds, ...figures };
  } finally {
    try {
      await instance.stop();
    } finally {
      sink.stop();
      if (process.env.BENCH_KEEP !== '1') instance.remove();
      else console.log(`${side}: kept ${instance.directory}`);
    }
  }
}

function masterPidOf(instance: RealPostfixInstance): number {
  const path = `${instance.queueDirectory}/pid/master.pid`;
  if (!existsSync(path)) throw new Error('no master.pid');
  return Number(readFileSync(path, 'utf8').trim());
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
const rate = (seconds: number): string => `${(MESSAGES / seconds).toFixed(0)} msgs/s (${seconds.toFixed(2)} s)`;

function report(results: Result[]): void {
  console.log(`\n${WARMUP > 0 ? `after ${WARMUP} warm-up messages per side: ` : ''}smtp-source -m ${MESSAGES} -s ${SESSIONS} -l ${MESSAGE_SIZE} -> smtpd -> queue (fsync) -> smtp -> smtp-sink, on loopback`);
  for (const result of results) {
    console.log(`${result.side.padEnd(8)} accepted ${rate(result.acceptedSeconds).padEnd(26)} end to end ${rate(result.endToEndSeconds).padEnd(26)}`
      + ` received ${result.received}/${MESSAGES} in ${result.sinkSessions} sessions; peak memory: ${result.side === 'mtalab' ? 'daemon' : 'master'} VmHWM ${mb(result.mainHwmKb)},`
      + ` tree sum VmHWM ${mb(result.treeHwmKb)}, tree sum Pss ${mb(result.treePssKb)} (${result.processes} processes);`
      + ` CPU ${result.cpuSeconds.toFixed(2)} s (${(result.cpuSeconds / MESSAGES * 1000).toFixed(2)} ms/msg,`
      + ` ${(result.systemSeconds / MESSAGES * 1000).toFixed(2)} of it system)`);
  }
  const mtalab = results.find((result) => result.side === 'mtalab');
  const postfix = results.find((result) => result.side === 'postfix');
  if (mtalab === undefined || postfix === undefined) return;
  const ratio = (value: number): string => `${value.toFixed(2)}x`;
  console.log('\nratios mtalab/Postfix (throughput: higher is better; memory: lower is better)');
  console.log(`  accepted msgs/s    ${ratio(postfix.acceptedSeconds / mtalab.acceptedSeconds)}`);
  console.log(`  end-to-end msgs/s  ${ratio(postfix.endToEndSeconds / mtalab.endToEndSeconds)}   (target >= 1.25x)`);
  console.log(`  peak memory        ${ratio(mtalab.treeHwmKb / postfix.treeHwmKb)} (tree sum VmHWM / tree sum VmHWM)`);
  console.log(`                     ${ratio(mtalab.treePssKb / postfix.treePssKb)} (tree sum Pss / tree sum Pss)`);
  console.log(`  CPU per message    ${ratio(mtalab.cpuSeconds / postfix.cpuSeconds)} (lower is better)`);
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('bench: needs root (a private real Postfix instance)');
    return 1;
  }
  for (const path of [SMTP_SOURCE, SMTP_SINK, '/usr/sbin/postfix']) {
    if (!existsSync(path)) {
      console.error(`bench: ${path} is missing (Debian package postfix)`);
      return 1;
    }
  }
  const order = (process.env.BENCH_SIDES ?? process.env.BENCH_ORDER ?? 'mtalab,postfix').split(',')
    .filter((name): name is SideName => name === 'mtalab' || name === 'postfix');
  const results: Result[] = [];
  if (WARMUP > 0) console.log(`warm-up: ${WARMUP} messages to each side before each measured run`);
  console.log(`load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${ROUNDS} rounds, sides alternating)`);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of order) {
        const result = await benchSide(side);
        console.log(`round ${round} ${side}: accepted ${rate(result.acceptedSeconds)}, end to end ${rate(result.endToEndSeconds)}, CPU ${result.cpuSeconds.toFixed(2)} s (${(result.cpuSeconds / MESSAGES * 1000).toFixed(2)} ms/msg, system ${(result.systemSeconds / MESSAGES * 1000).toFixed(2)})`);
        results.push(result);
      }
    }
  } finally {
    for (const child of [...children]) stopChild(child);
  }
  // Each side's best round (the machine may be shared: the best is the least disturbed).
  const best = order.map((side) => results.filter((result) => result.side === side)
    .reduce((a, b) => (b.endToEndSeconds < a.endToEndSeconds ? b : a)));
  report(best);
  return results.every((result) => result.received >= MESSAGES) ? 0 : 1;
}

process.exitCode = await main();
