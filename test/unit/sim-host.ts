// What the unit-test rigs of cleanup, local and trivial-rewrite share: the configuration
// directory, the reference clock, the main.cf lines every rig starts from, writing main.cf
// with a test's extra lines, and running an admin command (postmap, postalias) that must
// succeed. Used by test/unit/cleanup/harness.ts, test/unit/local/rig.ts and
// test/unit/trivial-rewrite/harness.ts.

import type { Host } from '../../engine/global/host.ts';
import type { FileSystem } from '../../engine/platform/types.ts';
import type { CommandMain } from '../../engine/admin/command.ts';
import { BufferedInput, CapturedOutput } from '../../engine/admin/stdio.ts';

export const CONFIG_DIRECTORY = '/etc/postfix';
/** 2026-11-22 09:26:23 UTC, the time of logs/a (scenario (a)'s clock). */
export const REFERENCE_START_MS = 1_795_339_583_000;

/** The main.cf lines every rig starts from. */
export const BASE_MAIN_CF_LINES: readonly string[] = [
  'compatibility_level = 3.6',
  'myhostname = mail.example.com',
  'mydomain = example.com',
  'myorigin = $mydomain',
  'mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain',
  'inet_interfaces = 127.0.0.1',
  'inet_protocols = ipv4',
];

/** The base lines, then a rig's own, as main.cf text ending in a newline. */
export function mainCfWith(...lines: string[]): string {
  return [...BASE_MAIN_CF_LINES, ...lines, ''].join('\n');
}

/** Makes the configuration directory and writes main.cf: the rig's text, then the test's lines. */
export async function writeMainCf(fs: FileSystem, text: string, extra = ''): Promise<void> {
  await fs.mkdir(CONFIG_DIRECTORY, { recursive: true });
  await fs.writeFile(`${CONFIG_DIRECTORY}/main.cf`, `${text}${extra}\n`);
}

/** Runs an admin command as root in the configuration directory; throws when it fails. */
export async function runAdminTool(main: CommandMain, argv: string[], host: Host): Promise<void> {
  const out = new CapturedOutput();
  const status = await main({ argv, stdin: new BufferedInput(''), stdout: out, stderr: out, env: new Map(), cwd: CONFIG_DIRECTORY, host });
  if (status !== 0) throw new Error(`${argv.join(' ')} failed: ${out.text()}`);
}
