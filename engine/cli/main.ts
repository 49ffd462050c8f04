// The `mtalab` command (bin/mtalab.mjs calls main): a thin dispatcher. Admin commands
// (postconf, postmap, postalias, newaliases, sendmail, mailq, postqueue, postsuper,
// postcat, qshape) run through runCommand on a Host made of the real machine: node
// platform, real disk, real stdio, process.env, process.cwd(), the machine's host name, the
// config directory $MAIL_CONFIG or else ~/.mtalab/postfix (made on first use, the same one
// `mtalab postfix` uses), and a link to the mail system that `mtalab postfix start` runs in
// the background (mail-system-link.ts: sockets under queue_directory). `postfix` and the
// background process are engine/cli/postfix-daemon.ts; `serve` hands over to
// engine/cli/serve.ts. Modules are imported on demand so that `mtalab --help` and
// `mtalab serve` work even while a command module is broken.

import { hostname } from 'node:os';
import { exitUsage, usageText } from './usage.ts';
import { processInput, processOutput } from './stdio.ts';

/** Postfix's default configuration directory (config_directory); mtalab's real mode uses
 *  ~/.mtalab/postfix instead (default-directory.ts), leaving the machine's own alone. */
export const postfixConfigDirectory = '/etc/postfix';

export const adminCommandNames: readonly string[] = [
  'postconf', 'postmap', 'postalias', 'newaliases',
  'sendmail', 'mailq', 'postqueue', 'postsuper', 'postcat', 'qshape',
];

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(usageText);
    return exitUsage;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usageText);
    return 0;
  }
  if (command === 'serve') {
    const { serveMain } = await import('./serve.ts');
    return serveMain(rest);
  }
  if (command === 'sim') return (await import('./sim.ts')).simMain(rest);
  if (command === 'postfix' || command === '__master') {
    // Real mode (engine/cli/postfix-daemon.ts): postfix(1) over a background host process.
    const daemon = await import('./postfix-daemon.ts');
    return command === 'postfix' ? daemon.postfixCommand(rest) : daemon.masterDaemon(rest);
  }
  if (adminCommandNames.includes(command)) return runAdminCommand(command, rest);
  process.stderr.write(`mtalab: unknown command: ${command}\n${usageText}`);
  return exitUsage;
}

/** Loads the command table and the node platform; a module that fails to load is reported
 *  in one line (exit 1) rather than as a stack trace. */
async function loadAdminModules() {
  try {
    return await Promise.all([
      import('../admin/run.ts'),
      import('../global/host.ts'),
      import('../platform/node/index.ts'),
      import('./mail-system-link.ts'),
      import('./default-directory.ts'),
    ]);
  } catch (error) {
    process.stderr.write(`mtalab: cannot load the admin commands: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
}

async function runAdminCommand(command: string, rest: string[]): Promise<number> {
  const modules = await loadAdminModules();
  if (modules === undefined) return 1;
  const [{ runCommand }, { createHost }, { createNodePlatform }, { socketMailSystemLink }, defaults] = modules;
  const name = hostname();
  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env.set(key, value);
  let defaultConfigDirectory = env.get('MAIL_CONFIG');
  if (defaultConfigDirectory === undefined) {
    // A command told its directory (-c DIR, sendmail's -C DIR) leaves the default alone.
    defaultConfigDirectory = defaults.defaultPostfixDirectory();
  }
  const host = createHost({
    name,
    platform: createNodePlatform({ hostName: name }),
    defaultConfigDirectory,
    fixedPid: process.pid,
    mailSystem: socketMailSystemLink,
  });
  if (env.get('MAIL_CONFIG') === undefined && !rest.some((argument) => /^-[cC]/.test(argument))) {
    await defaults.prepareDefaultDirectory(defaultConfigDirectory, host, processOutput(process.stderr));
  }
  const stdin = processInput(process.stdin);
  try {
    const exitCode = await runCommand({
      argv: [command, ...rest],
      stdin,
      stdout: processOutput(process.stdout),
      stderr: processOutput(process.stderr),
      env,
      cwd: process.cwd(),
      host,
    });
    return exitCode ?? exitUsage;
  } finally {
    stdin.release();
  }
}
