// smtpd's command table (CONVENTIONS.md rule 4): every verb the server knows, in Postfix's
// order (which is also the order of the disconnect line's counters), with its handler and
// flags: `limit` commands count towards smtpd_junk_command_limit, `last` commands must end a
// pipelined group (improper pipelining is logged, and refused with
// smtpd_forbid_unauth_pipelining), `preTls` commands would be allowed before STARTTLS.
// Called by the protocol core (api.ts). Models smtpd_cmd_table[] in src/smtpd/smtpd.c.

import type { SmtpdProtocol } from './api.ts';
import {
  ehloCommand, etrnCommand, heloCommand, noopCommand, quitCommand, rsetCommand, vrfyCommand, xclientCommand,
} from './commands-session.ts';
import { xforwardCommand } from './xforward.ts';
import { starttlsCommand } from './starttls.ts';
import { authCommand } from './auth.ts';
import { mailCommand, rcptCommand } from './commands-mail.ts';
import { bdatCommand, dataCommand } from './data.ts';
import type { Word } from './tokens.ts';

export interface Command {
  /** The name as the disconnect line counts it ("ehlo"). */
  name: string;
  run(protocol: SmtpdProtocol, words: readonly Word[], line: string): Promise<boolean>;
  limit: boolean;
  last: boolean;
  preTls: boolean;
}

const command = (name: string, run: Command['run'], flags: { limit?: boolean; last?: boolean; preTls?: boolean } = {}): Command => ({
  name, run, limit: flags.limit ?? false, last: flags.last ?? false, preTls: flags.preTls ?? false,
});

export const COMMAND_TABLE: readonly Command[] = [
  command('helo', heloCommand, { limit: true, preTls: true, last: true }),
  command('ehlo', ehloCommand, { limit: true, preTls: true, last: true }),
  command('xclient', xclientCommand, { preTls: true }),
  command('xforward', xforwardCommand),
  command('starttls', starttlsCommand, { preTls: true }),
  command('auth', authCommand),
  command('mail', mailCommand),
  command('rcpt', rcptCommand),
  command('data', dataCommand, { last: true }),
  command('bdat', bdatCommand),
  command('rset', rsetCommand, { limit: true }),
  command('noop', noopCommand, { limit: true, preTls: true, last: true }),
  command('vrfy', vrfyCommand, { limit: true, last: true }),
  command('etrn', etrnCommand, { limit: true }),
  command('quit', quitCommand, { preTls: true }),
];

/** Command names in table order, for the disconnect line. */
export const COMMAND_NAMES: readonly string[] = COMMAND_TABLE.map((entry) => entry.name);

const BY_VERB = new Map(COMMAND_TABLE.map((entry) => [entry.name, entry]));

/** The command for a verb, case-insensitively; undefined for an unknown verb. */
export function lookupCommand(verb: string): Command | undefined {
  return BY_VERB.get(verb.toLowerCase());
}
