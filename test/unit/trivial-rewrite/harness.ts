// Test harness for trivial-rewrite: one simulated host (H4's createSimPlatform) with a
// main.cf and table files of the test's choosing, H1's readMainConfig, and a reporter
// whose stderr lines the tests read. Tables named hash:... are built with H3's postmap.

import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { createReporter, type Reporter } from '../../../engine/global/msg.ts';
import { BufferedInput, CapturedOutput } from '../../../engine/admin/stdio.ts';
import { readMainConfig, type MainConfig } from '../../../engine/global/config/main-cf.ts';
import { openTrivialRewrite, type TrivialRewrite } from '../../../engine/trivial-rewrite/api.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import { postmapMain } from '../../../engine/admin/postmap.ts';

export const CONFIG_DIRECTORY = '/etc/postfix';

/** The main.cf every test starts from; tests append their own lines. */
export const BASE_MAIN_CF = [
  'compatibility_level = 3.6',
  'myhostname = mail.example.com',
  'mydomain = example.com',
  'myorigin = $mydomain',
  'mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain',
  'inet_interfaces = 127.0.0.1',
  'inet_protocols = ipv4',
  '',
].join('\n');

export interface Rig {
  host: Host;
  config: MainConfig;
  reporter: Reporter;
  rewriter: TrivialRewrite;
  /** stderr so far, one warning per line. */
  warnings(): string[];
  events: TraceEvent[];
}

export interface RigOptions {
  /** Extra main.cf lines. */
  main?: string;
  /** Files to write first: path -> text. hash: tables are built with postmap. */
  files?: Record<string, string>;
  /** Paths of files to build with postmap (hash:). */
  postmap?: string[];
  interfaceAddresses?: string[];
}

export async function makeRig(options: RigOptions = {}): Promise<Rig> {
  const platform = createSimPlatform({ hostName: 'mail.example.com', seed: 11 });
  const host = createHost({ name: 'mail.example.com', platform, defaultConfigDirectory: CONFIG_DIRECTORY });
  await platform.fs.mkdir(CONFIG_DIRECTORY, { recursive: true });
  await platform.fs.writeFile(`${CONFIG_DIRECTORY}/main.cf`, `${BASE_MAIN_CF}${options.main ?? ''}\n`);
  for (const [path, text] of Object.entries(options.files ?? {})) await platform.fs.writeFile(path, text);
  const stderr = new CapturedOutput();
  const reporter = createReporter({ program: 'trivial-rewrite', host, pid: 4242, stderr });
  if (options.postmap && options.postmap.length > 0) {
    for (const path of options.postmap) {
      const out = new CapturedOutput();
      const status = await postmapMain({ argv: ['postmap', '-c', CONFIG_DIRECTORY, path], stdin: new BufferedInput(''), stdout: out, stderr: out, env: new Map(), cwd: CONFIG_DIRECTORY, host });
      if (status !== 0) throw new Error(`postmap ${path} failed: ${out.text()}`);
    }
  }
  const config = await readMainConfig({ fs: platform.fs, directory: CONFIG_DIRECTORY, reporter, host });
  const events: TraceEvent[] = [];
  platform.trace.subscribe((event) => events.push(event));
  const rewriter = await openTrivialRewrite({ config, host, reporter, pid: 4242, interfaceAddresses: options.interfaceAddresses });
  return {
    host, config, reporter, rewriter, events,
    warnings: () => stderr.text().split('\n').filter((line) => line !== ''),
  };
}
