// The mtalab side of a pipeline interop test in sim mode: P1's harness host
// (test/pipeline/harness.ts) with the spec's main.cf, master.cf, aliases and maps laid down
// at the same paths under SIM_DIRECTORY in its memfs, users with homes /home/NAME. Mail goes
// through the harness's sendmail when mtalab has pickup; without pickup it is handed to
// cleanup as pickup would hand it (service pickup, local rewrite context, uid 0), and the
// caller leaves pickup lines out of both maillogs. Used by pipeline-compare.ts.

import type { PipelineSpec, Side } from './pipeline-compare.ts';
import { BASE_ALIASES, BASE_MASTER_CF, mainCfText, withDirectory, TREE_FILES_MAX, type RunResult } from './real-instance.ts';
import { CONFIG_DIRECTORY, FIRST_USER_ID, createPipelineHost, type PipelineHost } from '../pipeline/harness.ts';

export const SIM_DIRECTORY = '/srv/mtalab-interop';
const encoder = new TextEncoder();

async function walk(host: PipelineHost, root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (relative: string, depth: number): Promise<void> => {
    if (depth > 8 || found.length >= TREE_FILES_MAX) return;
    let names: string[];
    try {
      names = (await host.platform.fs.readdir(relative === '' ? root : `${root}/${relative}`)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      if ((await host.platform.fs.stat(`${root}/${path}`)).isDirectory) await visit(path, depth + 1);
      else found.push(path);
    }
  };
  await visit('', 0);
  return found;
}

function resolve(root: string): string {
  const tilde = /^~([^/]+)(.*)$/.exec(root);
  return tilde ? `/home/${tilde[1]!}${tilde[2]!}` : withDirectory(root, SIM_DIRECTORY);
}

/** sendmail's argv as pickup would pass it on: -f sender, recipients (no -t). */
function parseSendmail(argv: readonly string[]): { sender: string; recipients: string[] } {
  let sender = 'root';
  const recipients: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-f') sender = argv[++index] ?? '';
    else if (argument.startsWith('-f')) sender = argument.slice(2);
    else if (!argument.startsWith('-')) recipients.push(argument);
  }
  return { sender, recipients };
}

export async function mtalabSimSide(spec: PipelineSpec, users: readonly string[], hasPickup: boolean): Promise<Side> {
  const directory = SIM_DIRECTORY;
  // The harness keeps main.cf and master.cf in its own config directory; the maps stay at
  // the spec's paths under SIM_DIRECTORY, as main.cf names them.
  const configDirectory = CONFIG_DIRECTORY;
  const files: Record<string, string> = { [`${directory}/etc/aliases`]: BASE_ALIASES };
  for (const [path, text] of Object.entries(spec.files ?? {})) files[`${directory}/${path}`] = withDirectory(text, directory);
  for (const [path, text] of Object.entries(spec.homeFiles ?? {})) files[resolve(path)] = withDirectory(text, directory);
  const host = await createPipelineHost({
    mainCf: mainCfText(spec, directory), masterCf: BASE_MASTER_CF, files, users, start: false,
  });
  const fs = host.platform.fs;
  // memfs writes files 0666 (no umask); the real side's are 0644 under umask 022, and
  // local(8) refuses world-writable .forward and :include: files.
  for (const path of Object.keys(files)) await fs.chmod(path, 0o644);
  // useradd -m gives each user their home; the harness leaves the homes to root.
  for (const [index, user] of users.entries()) await fs.chown?.(`/home/${user}`, FIRST_USER_ID + index, FIRST_USER_ID + index);
  for (const path of Object.keys(spec.homeFiles ?? {})) {
    const user = /^~([^/]+)/.exec(path)![1]!;
    const id = FIRST_USER_ID + users.indexOf(user);
    await fs.chown?.(resolve(path), id, id);
  }
  for (const name of ['spool', 'data', 'mail', ...(spec.directories ?? [])]) await fs.mkdir(`${directory}/${name}`, { recursive: true });
  for (const name of ['mail', ...(spec.directories ?? [])]) await fs.chmod(`${directory}/${name}`, 0o1777);
  const check = async (argv: string[]): Promise<void> => {
    const result = await host.command(argv);
    if (result.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${result.stderr}`);
  };
  for (const map of [`hash:${directory}/etc/aliases`, ...(spec.postalias ?? []).map((m) => withDirectory(m, directory))]) {
    await check(['postalias', '-c', configDirectory, map]);
  }
  for (const map of spec.postmap ?? []) await check(['postmap', '-c', configDirectory, withDirectory(map, directory)]);
  const queueDirectory = `${directory}/spool`;
  const result = (r: { exitCode: number | undefined; stdout: string; stderr: string }): RunResult =>
    ({ stdout: r.stdout, stderr: r.stderr, status: r.exitCode ?? 1 });
  const side: Side = {
    label: 'mtalab', directory, configDirectory,
    async start() {
      await host.start();
      await host.run();
    },
    async stop() {
      if (host.runtime !== undefined) await host.stop();
    },
    remove: () => undefined,
    async sendmail(argv, message) {
      if (hasPickup) return result(await host.sendmail(['-C', configDirectory, ...argv], message));
      const runtime = host.runtime;
      if (runtime === undefined) throw new Error('sim host is not running');
      const { sender, recipients } = parseSendmail(argv);
      const stream = await runtime.cleanup().open({ service: 'pickup', rewriteContext: 'local', uid: 0 }, { bounceOnReject: true });
      stream.setFullName('root'); // sendmail's gecos of the submitting user, before the sender
      stream.setSender(sender);
      for (const address of recipients) stream.addRecipient({ address });
      stream.addContent(encoder.encode(message));
      const outcome = await stream.finish();
      await host.run();
      return { stdout: '', stderr: outcome.status === 0 ? '' : `(cleanup status ${outcome.status}: ${outcome.reason ?? ''})`, status: outcome.status === 0 ? 0 : 75 };
    },
    async waitForQueue() { await host.run(); },
    maillog: () => host.maillog(),
    async readTree(root) {
      const base = resolve(root);
      const files = new Map<string, string>();
      for (const path of await walk(host, base)) files.set(path, Buffer.from(await fs.readFile(`${base}/${path}`)).toString('latin1'));
      return files;
    },
    async clearTree(root) {
      const base = resolve(root);
      for (const path of await walk(host, base)) await fs.unlink(`${base}/${path}`);
    },
    async command(argv) {
      const [name = '', ...rest] = argv;
      const outcome = await host.command(name === 'mailq' ? [...argv] : [name, '-c', configDirectory, ...rest]);
      await host.run();
      return result(outcome);
    },
    async queueIds(queue) {
      return (await walk(host, `${queueDirectory}/${queue}`)).map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
    },
    async queueFile(queue, id) {
      const path = (await walk(host, `${queueDirectory}/${queue}`)).find((entry) => entry.endsWith(id));
      if (path === undefined) throw new Error(`no ${queue}/${id}`);
      return Buffer.from(await fs.readFile(`${queueDirectory}/${queue}/${path}`));
    },
  };
  return side;
}
