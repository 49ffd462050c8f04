// The two sides of a pipeline interop test and their comparison. One InstanceSpec (main.cf
// additions, maps, aliases, home files) becomes a private real Postfix instance
// (real-instance.ts) and an mtalab host with the same main.cf, paths pointing into its own
// directory. The mtalab host runs in one of two modes:
//   node: `node bin/mtalab.mjs postfix -c DIR start` (a background master on real files),
//         mail submitted by mtalab's sendmail on the real disk. Like for like; used when
//         mtalab has both the sendmail command and the pickup service.
//   sim:  P1's harness (test/pipeline/harness.ts) with the same main.cf text and files at
//         the same paths in its memfs; mail through the harness's sendmail when pickup
//         exists, else handed to cleanup as pickup would (then pickup lines are left out of
//         both sides' maillog shapes).
// MTALAB_INTEROP_MODE=node|sim forces a mode. Snapshots (mailboxes, maillog shapes, command
// output) are normalised (pipeline-normalise.ts) and compared item by item; report() prints
// "pipeline interop: N/M equal" and both sides of every difference.

import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BASE_ALIASES, BASE_MASTER_CF, MASTER_WAIT_MS, QUEUE_WAIT_MS, RealPostfixInstance, homeOf, isAlive, layDownInstance,
  listTree, mainCfText, pendingQueueFiles, run, settleFile, waitFor, withDirectory,
  type InstanceSpec, type RunResult,
} from './real-instance.ts';
import { runMtalab } from './real-postfix.ts';
import { maillogShapes, normaliseText, queueIdNames, reduceMessage, splitMbox, type NormaliseContext } from './pipeline-normalise.ts';

export type MtalabMode = 'node' | 'sim';

/** A spec plus the files that live in users' homes ("~user/.forward"). */
export interface PipelineSpec extends InstanceSpec {
  homeFiles?: Record<string, string>;
}

export interface Side {
  readonly label: 'real' | 'mtalab';
  readonly directory: string;
  readonly configDirectory: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  remove(): void;
  sendmail(argv: readonly string[], message: string): Promise<RunResult>;
  waitForQueue(): Promise<void>;
  maillog(): Promise<string[]>;
  /** Files under a root ("@DIR@/mail", "~user/Maildir"), relative path -> text. */
  readTree(root: string): Promise<Map<string, string>>;
  /** Removes the delivered files under a root (mailboxes between cases). */
  clearTree(root: string): Promise<void>;
  command(argv: readonly string[]): Promise<RunResult>;
  queueIds(queue: string): Promise<string[]>;
  queueFile(queue: string, id: string): Promise<Buffer>;
}

const binPath = fileURLToPath(new URL('../../bin/mtalab.mjs', import.meta.url));
const REAL_MAIL_COMMANDS = new Set(['postqueue', 'postsuper', 'qshape', 'postcat', 'mailq']);

function resolveRoot(root: string, directory: string, home: (user: string) => string): string {
  const tilde = /^~([^/]+)(.*)$/.exec(root);
  return tilde ? home(tilde[1]!) + tilde[2]! : withDirectory(root, directory);
}

function writeHomeFiles(spec: PipelineSpec, directory: string): void {
  for (const [path, text] of Object.entries(spec.homeFiles ?? {})) {
    const user = /^~([^/]+)/.exec(path)![1]!;
    const full = resolveRoot(path, directory, homeOf);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, withDirectory(text, directory));
    const entry = run(['getent', 'passwd', user]).stdout.split(':');
    chownSync(full, Number(entry[2]), Number(entry[3]));
  }
}

function readDiskTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of listTree(root)) files.set(path, readFileSync(join(root, path), 'latin1'));
  return files;
}

function clearDiskTree(root: string): void {
  for (const path of listTree(root)) unlinkSync(join(root, path));
}

/** The real Postfix side. */
export function realSide(spec: PipelineSpec): Side {
  const instance = RealPostfixInstance.create(spec);
  const directory = instance.directory;
  return {
    label: 'real', directory, configDirectory: instance.configDirectory,
    async start() {
      writeHomeFiles(spec, directory);
      await instance.start();
    },
    stop: () => instance.stop(),
    remove: () => { if (process.env.MTALAB_INTEROP_KEEP !== '1') instance.remove(); },
    sendmail: async (argv, message) => instance.sendmail(argv, message),
    async waitForQueue() { await instance.waitForQueue(); },
    maillog: async () => instance.maillog(),
    readTree: async (root) => readDiskTree(resolveRoot(root, directory, homeOf)),
    clearTree: async (root) => clearDiskTree(resolveRoot(root, directory, homeOf)),
    async command(argv) {
      const [name = '', ...rest] = argv;
      if (!REAL_MAIL_COMMANDS.has(name)) throw new Error(`not a queue tool: ${name}`);
      return instance.command(name === 'mailq' ? argv : [name, '-c', instance.configDirectory, ...rest]);
    },
    queueIds: async (queue) => instance.queueIds(queue),
    queueFile: async (queue, id) => readFileSync(findQueuePath(instance.queueDirectory, queue, id)),
  };
}

function findQueuePath(queueDirectory: string, queue: string, id: string): string {
  const path = listTree(join(queueDirectory, queue)).find((entry) => entry.endsWith(id));
  if (path === undefined) throw new Error(`no ${queue}/${id} in ${queueDirectory}`);
  return join(queueDirectory, queue, path);
}

/** Whether mtalab has the pieces of node real mode: the sendmail command and pickup. */
export async function mtalabHasSubmission(): Promise<{ sendmail: boolean; pickup: boolean }> {
  const { lookupCommand } = await import('../../engine/admin/run.ts');
  const { programs } = await import('../../engine/master/programs.ts');
  return { sendmail: lookupCommand('sendmail') !== undefined, pickup: Object.hasOwn(programs, 'pickup') };
}

export async function chooseMtalabMode(): Promise<MtalabMode> {
  const forced = process.env.MTALAB_INTEROP_MODE;
  if (forced === 'node' || forced === 'sim') return forced;
  const has = await mtalabHasSubmission();
  return has.sendmail && has.pickup ? 'node' : 'sim';
}

function mtalabCli(argv: readonly string[], input = ''): RunResult {
  const result = spawnSync(process.execPath, [binPath, ...argv], {
    input, encoding: 'utf8', timeout: 90_000, env: { ...process.env, TZ: 'UTC', LANG: 'C' },
  });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? 1 };
}

async function mtalabCommand(argv: readonly string[], input?: string): Promise<RunResult> {
  const result = await runMtalab(argv, { input, env: { TZ: 'UTC', LANG: 'C' } });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** mtalab in node real mode: a background master on real files in its own directory. */
export async function mtalabNodeSide(spec: PipelineSpec): Promise<Side> {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-node-'));
  const configDirectory = join(directory, 'etc');
  const queueDirectory = join(directory, 'spool');
  layDownInstance(directory, spec);
  for (const map of [`hash:${directory}/etc/aliases`, ...(spec.postalias ?? []).map((m) => withDirectory(m, directory))]) {
    const built = await mtalabCommand(['postalias', '-c', configDirectory, map]);
    if (built.status !== 0) throw new Error(`mtalab postalias ${map}: ${built.stderr}`);
  }
  for (const map of spec.postmap ?? []) {
    const built = await mtalabCommand(['postmap', '-c', configDirectory, withDirectory(map, directory)]);
    if (built.status !== 0) throw new Error(`mtalab postmap ${map}: ${built.stderr}`);
  }
  const masterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(queueDirectory, 'pid/master.pid'), 'utf8').trim());
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  let started: number | undefined;
  const maillogPath = join(directory, 'maillog');
  return {
    label: 'mtalab', directory, configDirectory,
    async start() {
      writeHomeFiles(spec, directory);
      const result = mtalabCli(['postfix', '-c', configDirectory, 'start']);
      if (result.status !== 0) throw new Error(`mtalab postfix start: ${result.stderr}`);
      if (!(await waitFor(() => masterPid() !== undefined && isAlive(masterPid()!), MASTER_WAIT_MS))) throw new Error('mtalab master did not come up');
      started = masterPid();
    },
    async stop() {
      const pid = started ?? masterPid();
      if (pid === undefined || !isAlive(pid)) return;
      mtalabCli(['postfix', '-c', configDirectory, 'stop']);
      if (!(await waitFor(() => !isAlive(pid), MASTER_WAIT_MS))) {
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !isAlive(pid), MASTER_WAIT_MS);
      }
      if (isAlive(pid)) throw new Error(`mtalab master ${pid} is still running`);
    },
    remove: () => { if (process.env.MTALAB_INTEROP_KEEP !== '1') rmSync(directory, { recursive: true, force: true }); },
    // Through the CLI: its commands reach the background host over queue_directory/public.
    sendmail: async (argv, message) => mtalabCli(['sendmail', '-C', configDirectory, ...argv], message),
    async waitForQueue() {
      await waitFor(() => pendingQueueFiles(queueDirectory) === 0, QUEUE_WAIT_MS);
      await settleFile(maillogPath);
    },
    maillog: async () => (existsSync(maillogPath) ? readFileSync(maillogPath, 'utf8').split('\n').filter((l) => l !== '') : []),
    readTree: async (root) => readDiskTree(resolveRoot(root, directory, homeOf)),
    clearTree: async (root) => clearDiskTree(resolveRoot(root, directory, homeOf)),
    async command(argv) {
      const [name = '', ...rest] = argv;
      return mtalabCli(name === 'mailq' ? argv : [name, '-c', configDirectory, ...rest]);
    },
    queueIds: async (queue) => listTree(join(queueDirectory, queue)).map((p) => p.slice(p.lastIndexOf('/') + 1)).sort(),
    queueFile: async (queue, id) => readFileSync(findQueuePath(queueDirectory, queue, id)),
  };
}

/** Makes the mtalab side in a mode. */
export async function mtalabSide(spec: PipelineSpec, mode: MtalabMode, users: readonly string[]): Promise<Side> {
  if (mode === 'node') return mtalabNodeSide(spec);
  const { mtalabSimSide } = await import('./pipeline-sim-side.ts');
  return mtalabSimSide(spec, users, (await mtalabHasSubmission()).pickup);
}

// ---------------------------------------------------------------------------------------
// Snapshots and comparison.

/** Maildir file names (time.VdevIinoMusec.host[,S=..]) replaced by their order. */
function renderTree(root: string, files: Map<string, string>, context: NormaliseContext): string {
  const out: string[] = [];
  const entries = [...files.entries()].map(([path, text]) => {
    const name = path.replace(/(^|\/)\d+\.[^/]+$/, '$1MAILDIRFILE');
    const messages = splitMbox(text).map((message) => reduceMessage(normaliseText(message, context)));
    return { name, body: messages.join('\n') };
  }).sort((a, b) => a.name.localeCompare(b.name) || a.body.localeCompare(b.body));
  for (const entry of entries) out.push(`== ${root}/${entry.name}`, entry.body);
  return out.length === 0 ? `== ${root}: (empty)` : out.join('\n');
}

/** What one side shows for one case. */
export interface CaseSnapshot {
  maillog: string;
  mailboxes: string;
  extra: Record<string, string>;
}

export interface CompareItem {
  name: string;
  real: string;
  mtalab: string;
}

/** Runs one case on a side: submissions, wait, snapshot, clear mailboxes. */
export async function runCase(side: Side, options: {
  submissions: Array<{ argv: string[]; message: string }>;
  roots: readonly string[];
  after?: (side: Side, context: () => Promise<NormaliseContext>) => Promise<Record<string, string>>;
  dropPickup?: boolean;
  maskSizes?: boolean;
}): Promise<CaseSnapshot> {
  const before = (await side.maillog()).length;
  const submitted: string[] = [];
  for (const submission of options.submissions) {
    const result = await side.sendmail(submission.argv, submission.message);
    submitted.push(`sendmail ${submission.argv.join(' ')}: exit ${result.status}${result.stdout}${result.stderr === '' ? '' : ` ${result.stderr.trim()}`}`);
    await side.waitForQueue();
  }
  const context = async (): Promise<NormaliseContext> => {
    const lines = (await side.maillog()).slice(before);
    return { directories: [side.directory], ids: queueIdNames(lines), maskSizes: options.maskSizes === true };
  };
  const extra = options.after === undefined ? {} : await options.after(side, context);
  // The commands run after the submissions log too (postsuper's "Deleted: 1 message"); on
  // the real side through postlogd, a moment after the command has exited.
  if (options.after !== undefined) await side.waitForQueue();
  const lines = (await side.maillog()).slice(before).filter((line) => !(options.dropPickup && /\/pickup\[/.test(line)));
  const normal = await context();
  const shapes = maillogShapes(lines, normal);
  const mailboxes: string[] = [];
  for (const root of options.roots) {
    mailboxes.push(renderTree(root, await side.readTree(root), normal));
    await side.clearTree(root);
  }
  const submittedText = normaliseText(submitted.join('\n'), normal).replace(/sendmail: (warning|fatal): /g, '$1: ');
  return { maillog: shapes.join('\n'), mailboxes: `${submittedText}\n${mailboxes.join('\n')}`, extra };
}

export function compareSnapshots(name: string, real: CaseSnapshot, mtalab: CaseSnapshot): CompareItem[] {
  const items: CompareItem[] = [
    { name: `${name}: maillog`, real: real.maillog, mtalab: mtalab.maillog },
    { name: `${name}: mailboxes`, real: real.mailboxes, mtalab: mtalab.mailboxes },
  ];
  for (const key of Object.keys(real.extra)) items.push({ name: `${name}: ${key}`, real: real.extra[key]!, mtalab: mtalab.extra[key] ?? '(missing)' });
  return items;
}

/** Prints the summary line and each difference; returns the names that differ. */
export function report(title: string, items: readonly CompareItem[], mode: string): string[] {
  const differing = items.filter((item) => item.real !== item.mtalab);
  const lines = [`pipeline interop: ${items.length - differing.length}/${items.length} equal (${title}; mtalab ${mode})`];
  if (process.env.MTALAB_INTEROP_VERBOSE === '1') {
    for (const item of items) if (item.real === item.mtalab) lines.push(`--- equal: ${item.name}`, item.real);
  }
  for (const item of differing) {
    lines.push(`--- differs: ${item.name}`, '[real Postfix]', item.real, '[mtalab]', item.mtalab);
  }
  console.log(lines.join('\n'));
  return differing.map((item) => item.name);
}

export { BASE_ALIASES, BASE_MASTER_CF, mainCfText };

// ---------------------------------------------------------------------------------------
// A suite: the same cases through both sides, one after the other (homes are shared in
// node mode, so the sides never run at the same time).

export interface PipelineCase {
  name: string;
  submissions: Array<{ argv: string[]; message: string }>;
  /** Extra comparisons taken after the submissions (postqueue -p, qshape, ...). */
  after?: (side: Side, context: () => Promise<NormaliseContext>) => Promise<Record<string, string>>;
}

async function runSide(side: Side, cases: readonly PipelineCase[], roots: readonly string[], dropPickup: boolean, maskSizes: boolean): Promise<Map<string, CaseSnapshot>> {
  const snapshots = new Map<string, CaseSnapshot>();
  try {
    await side.start();
    for (const root of roots) await side.clearTree(root);
    for (const entry of cases) {
      snapshots.set(entry.name, await runCase(side, { submissions: entry.submissions, roots, after: entry.after, dropPickup, maskSizes }));
    }
  } finally {
    try {
      await side.stop();
    } finally {
      side.remove();
    }
  }
  return snapshots;
}

/** Runs the cases on the real instance, then on mtalab; prints the report; returns the
 *  names of the items that differ. */
export async function runSuite(title: string, spec: PipelineSpec, users: readonly string[], cases: readonly PipelineCase[], roots: readonly string[]): Promise<string[]> {
  const mode = await chooseMtalabMode();
  const has = await mtalabHasSubmission();
  const dropPickup = mode === 'sim' && !has.pickup;
  const maskSizes = mode === 'sim';
  const real = await runSide(realSide(spec), cases, roots, dropPickup, maskSizes);
  const mtalab = await runSide(await mtalabSide(spec, mode, users), cases, roots, dropPickup, maskSizes);
  const items = cases.flatMap((entry) => compareSnapshots(entry.name, real.get(entry.name)!, mtalab.get(entry.name)!));
  const modeText = mode === 'node' ? 'node real mode' : `sim harness, sizes masked${dropPickup ? ', cleanup fed directly (no pickup yet; pickup lines left out)' : ''}`;
  return report(title, items, modeText);
}

/** The real postcat -v run on a copy of a queue file (either side's), with the copy's path
 *  written as QUEUEFILE. */
export function realPostcat(bytes: Buffer, options: readonly string[] = ['-v']): string {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-postcat-'));
  try {
    const path = join(directory, 'queuefile');
    writeFileSync(join(directory, 'main.cf'), '');
    writeFileSync(path, bytes);
    const result = run(['postcat', '-c', directory, ...options, path]);
    return `${result.stdout}${result.stderr}exit ${result.status}`.split(path).join('QUEUEFILE');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
