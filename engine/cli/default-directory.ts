// The default configuration directory of real mode: $HOME/.mtalab/postfix, made on first
// use by any mtalab command run without -c and $MAIL_CONFIG (postfix, sendmail, mailq,
// postconf, ...), so that a new user's `mtalab postfix start` and `mtalab sendmail` meet
// the same host. Loopback only: smtpd on 127.0.0.1:2525, mail for the host itself, and
// the queue, the mailboxes (mail_spool_directory) and the maillog under the directory.
// alias_maps is hash:DIR/aliases as Postfix's default is hash:/etc/aliases, built with
// newaliases when the directory is made (edit DIR/aliases, then run `mtalab newaliases`).
// Called by engine/cli/main.ts and postfix-daemon.ts. Trusts node:fs and $HOME.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { masterCfListeningOn, minimalMainCf } from '../global/config/default-master-cf.ts';
import type { Host } from '../global/host.ts';
import type { OutputStream } from '../admin/command.ts';
import { emptyInput } from '../admin/stdio.ts';

/** The smtpd listener of the default directory: no root needed. */
export const DEFAULT_SMTPD_LISTEN = '127.0.0.1:2525';

/** ~/.mtalab/postfix, or under $HOME when it is set. */
export function defaultPostfixDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME ?? homedir(), '.mtalab', 'postfix');
}

/** The default directory's main.cf: loopback only, everything under the directory. */
export function defaultMainCf(directory: string, hostName: string): string {
  return minimalMainCf(hostName).replace(/^mydestination = .*$/m, 'mydestination = $myhostname, localhost')
    + `queue_directory = ${directory}/queue
data_directory = ${directory}/data
mail_spool_directory = ${directory}/mail
maillog_file = ${directory}/maillog
alias_maps = hash:${directory}/aliases
alias_database = hash:${directory}/aliases
`;
}

/** Creates the default directory's files when main.cf is missing; leaves an existing one
 *  alone. True when it made them (the alias index is then still to build). */
export function ensureDefaultDirectory(directory: string, hostName: string): boolean {
  if (existsSync(join(directory, 'main.cf'))) return false;
  mkdirSync(directory, { recursive: true });
  for (const name of ['queue', 'data', 'mail']) mkdirSync(join(directory, name), { recursive: true });
  writeFileSync(join(directory, 'main.cf'), defaultMainCf(directory, hostName));
  if (!existsSync(join(directory, 'master.cf'))) writeFileSync(join(directory, 'master.cf'), masterCfListeningOn(DEFAULT_SMTPD_LISTEN));
  if (!existsSync(join(directory, 'aliases'))) writeFileSync(join(directory, 'aliases'), DEFAULT_ALIASES);
  return true;
}

/** The aliases(5) file of a new default directory. */
export const DEFAULT_ALIASES = `# aliases(5): local addresses and where their mail goes. After a change run
# "mtalab newaliases" to rebuild aliases.db.
postmaster: root
MAILER-DAEMON: postmaster
abuse: postmaster
`;

/** ensureDefaultDirectory, then newaliases on a directory it made (as Debian's package
 *  does at install). Diagnostics of the build go to `stderr`. */
export async function prepareDefaultDirectory(directory: string, host: Host, stderr: OutputStream): Promise<void> {
  if (!ensureDefaultDirectory(directory, host.name)) return;
  const { runCommand } = await import('../admin/run.ts');
  await runCommand({
    argv: ['newaliases', '-C', directory], stdin: emptyInput(), stdout: stderr, stderr,
    env: new Map(), cwd: directory, host,
  });
}

