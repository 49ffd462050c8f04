// Test harness for the terminal shell: a simulated host with some files, a shell whose
// output goes both to a string and to a small VT100 screen, and helpers that type text and
// wait until the shell is idle again. Used by test/unit/shell/*.test.ts.

import { createHost, type Host } from '../../../engine/global/host.ts';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import type { AdminRunner } from '../../../engine/shell/execute.ts';
import { createShellSession, type Shell } from '../../../engine/shell/shell.ts';
import { Screen } from './screen.ts';

export interface Harness {
  shell: Shell;
  host: Host;
  screen: Screen;
  /** Everything written so far. */
  output(): string;
  /** Types `data` and waits until the shell is idle; returns what was written meanwhile. */
  type(data: string): Promise<string>;
  /** Types a line and Enter; returns the output of the command, without the echo and the
   *  next prompt, with CRLF turned back into "\n". */
  run(line: string): Promise<string>;
  readFile(path: string): Promise<string>;
}

export interface HarnessOptions {
  files?: Record<string, string>;
  directories?: string[];
  runAdmin?: AdminRunner;
  adminNames?: string[];
  parameterNames?: string[];
  columns?: number;
  user?: string;
  env?: Record<string, string>;
  host?: Host;
}

const GROUP = 'root:x:0:\nalice:x:1001:\n';
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:Alice:/home/alice:/bin/bash\n';

export async function startShell(options: HarnessOptions = {}): Promise<Harness> {
  const host = options.host ?? createHost({
    name: 'mail.example.test',
    platform: createSimPlatform({ hostName: 'mail.example.test', seed: 1 }),
  });
  const fs = host.platform.fs;
  if (options.host === undefined) {
    for (const directory of ['/root', '/home/alice', '/etc', '/tmp', ...(options.directories ?? [])]) {
      await fs.mkdir(directory, { recursive: true, mode: 0o755 });
    }
    await fs.writeFile('/etc/passwd', PASSWD, { mode: 0o644 });
    await fs.writeFile('/etc/group', GROUP, { mode: 0o644 });
    for (const [path, text] of Object.entries(options.files ?? {})) {
      await fs.mkdir(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true, mode: 0o755 });
      await fs.writeFile(path, text, { mode: 0o644 });
    }
  }
  const screen = new Screen(options.columns ?? 80);
  let output = '';
  const shell = createShellSession({
    host,
    write: (data) => { output += data; screen.write(data); },
    runAdmin: options.runAdmin ?? (async () => undefined),
    adminNames: () => options.adminNames ?? [],
    parameterNames: () => options.parameterNames ?? [],
    columns: options.columns,
    user: options.user,
    env: options.env,
  });
  shell.start();
  await shell.idle();
  const type = async (data: string) => {
    const before = output.length;
    shell.input(data);
    await shell.idle();
    return output.slice(before);
  };
  return {
    shell, host, screen,
    output: () => output,
    type,
    async run(line) {
      const written = await type(`${line}\r`);
      const afterEcho = written.slice(written.indexOf('\r\n') + 2);
      return afterEcho.replace(/(?:root|alice|bob)@mail:[^\r\n]*[#$] $/, '').replace(/\r\n/g, '\n');
    },
    readFile: async (path) => new TextDecoder().decode(await fs.readFile(path)),
  };
}
