// Test harness for trivial-rewrite: one simulated host (H4's createSimPlatform) with a
// main.cf and table files of the test's choosing, H1's readMainConfig, and a reporter
// whose stderr lines the tests read. Tables named hash:... are built with H3's postmap.

import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { createReporter, type Reporter } from '../../../engine/global/msg.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';
import { CONFIG_DIRECTORY, mainCfWith, runAdminTool, writeMainCf } from '../sim-host.ts';
import { readMainConfig, type MainConfig } from '../../../engine/global/config/main-cf.ts';
import { openTrivialRewrite, type TrivialRewrite } from '../../../engine/trivial-rewrite/api.ts';
import type { TraceEvent } from '../../../engine/global/trace.ts';
import { postmapMain } from '../../../engine/admin/postmap.ts';

export { CONFIG_DIRECTORY };

/** The main.cf every test starts from; tests append their own lines. */
export const BASE_MAIN_CF = mainCfWith();

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
  await writeMainCf(platform.fs, BASE_MAIN_CF, options.main);
  for (const [path, text] of Object.entries(options.files ?? {})) await platform.fs.writeFile(path, text);
  const stderr = new CapturedOutput();
  const reporter = createReporter({ program: 'trivial-rewrite', host, pid: 4242, stderr });
  for (const path of options.postmap ?? []) await runAdminTool(postmapMain, ['postmap', '-c', CONFIG_DIRECTORY, path], host);
  const config = await readMainConfig({ fs: platform.fs, directory: CONFIG_DIRECTORY, reporter, host });
  const events: TraceEvent[] = [];
  platform.trace.subscribe((event) => events.push(event));
  const rewriter = await openTrivialRewrite({ config, host, reporter, pid: 4242, interfaceAddresses: options.interfaceAddresses });
  return {
    host, config, reporter, rewriter, events,
    warnings: () => stderr.text().split('\n').filter((line) => line !== ''),
  };
}
