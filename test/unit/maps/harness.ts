// Test harness for the lookup-table unit tests: a simulated host (H4's createSimPlatform,
// a memfs volume), a reporter whose stderr is captured, helpers to write files, open
// tables and run postmap/postalias inside the simulation.

import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { createHost, type Host } from '../../../engine/global/host.ts';
import { createReporter, FatalExit, type Reporter } from '../../../engine/global/msg.ts';
import { BufferedInput, CapturedOutput } from '../../../engine/admin/stdio.ts';
import { openLookupTable } from '../../../engine/global/maps/index.ts';
import type { LookupTable, MapFlags } from '../../../engine/global/maps/types.ts';
import type { CommandMain } from '../../../engine/admin/command.ts';

export interface World {
  host: Host;
  stderr: CapturedOutput;
  reporter: Reporter;
  write(path: string, text: string): Promise<void>;
  read(path: string): Promise<string>;
  open(spec: string, flags?: MapFlags, allowSurrogate?: boolean): Promise<LookupTable>;
  run(main: CommandMain, argv: string[], input?: string): Promise<{ stdout: string; stderr: string; status: number }>;
}

export async function makeWorld(): Promise<World> {
  const platform = createSimPlatform({ hostName: 'mail.example.test', seed: 7 });
  const host = createHost({ name: 'mail.example.test', platform, defaultConfigDirectory: '/etc/postfix' });
  await platform.fs.mkdir('/etc/postfix', { recursive: true });
  await platform.fs.writeFile('/etc/postfix/main.cf', 'myhostname = mail.example.test\n');
  const stderr = new CapturedOutput();
  const reporter = createReporter({ program: 'test', host, pid: 1, stderr });
  return {
    host, stderr, reporter,
    write: (path, text) => platform.fs.writeFile(path, text),
    read: async (path) => new TextDecoder().decode(await platform.fs.readFile(path)),
    open: (spec, flags, allowSurrogate) => openLookupTable(spec, { fs: platform.fs, reporter, cwd: '/etc/postfix', flags, allowSurrogate }),
    run: async (main, argv, input) => {
      const out = new CapturedOutput();
      const err = new CapturedOutput();
      let status: number;
      try {
        status = await main({ argv, stdin: new BufferedInput(input ?? ''), stdout: out, stderr: err, env: new Map(), cwd: '/etc/postfix', host });
      } catch (error) {
        if (!(error instanceof FatalExit)) throw error;
        status = error.exitCode;
      }
      return { stdout: out.text(), stderr: err.text(), status };
    },
  };
}

/** Expects the call to end the program (reporter.fatal). */
export async function fatalText(world: World, action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof FatalExit) return error.message;
    throw error;
  }
  throw new Error('expected a fatal error');
}
