// Delivery to "|command" (from an alias, .forward or :include: file, when
// allow_mail_to_commands permits that source) and to mailbox_command. The command gets the
// message with a From_ line, Return-Path, X-Original-To and (per prepend_delivered_header)
// Delivered-To on its standard input, the environment local(8) exports (HOME, LOGNAME,
// USER, SENDER, RECIPIENT, LOCAL, SHELL, DOMAIN, EXTENSION, ORIGINAL_RECIPIENT, CLIENT_*),
// and runs with the user's rights or default_privs, never root's. Its exit status maps to
// a DSN the way pipe_command() maps it: "D.S.N text" output, <sysexits.h> codes, or
// "Command died with status N". Called by token.ts and mailbox.ts.
// Models src/local/command.c and src/global/pipe_command.c (status mapping).

import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { beenHere, nextLevel, STATUS_DEFER } from './state.ts';
import { bounceWorkaround, reportSent, type Why } from './status.ts';
import { mailCopy } from '../global/mail-copy.ts';
import { localExpand } from './expand.ts';
import { unprivileged } from './file.ts';
import { DeliveredHeader } from './settings.ts';
import type { CommandOutcome } from './command-runner.ts';

/** sys_exits.h: exit status -> DSN and text. */
const SYSTEM_EXITS: Record<number, [string, string]> = {
  64: ['5.3.0', 'command line usage error'],
  65: ['5.6.0', 'data format error'],
  66: ['5.3.0', 'cannot open input'],
  67: ['5.1.1', 'user unknown'],
  68: ['5.1.2', 'host name unknown'],
  69: ['5.3.0', 'service unavailable'],
  70: ['5.3.0', 'internal software error'],
  71: ['4.3.0', 'system resource problem'],
  72: ['5.3.0', 'critical OS file missing'],
  73: ['5.2.0', "can't create user output file"],
  74: ['5.3.0', 'input/output error'],
  75: ['4.3.0', 'temporary failure'],
  76: ['5.5.0', 'remote error in protocol'],
  77: ['5.7.0', 'permission denied'],
  78: ['5.3.5', 'local configuration error'],
};

/** pipe_command() keeps this much of the command's output for the log. */
export const COMMAND_OUTPUT_LOG_MAX = 2000;

function outputForLog(output: string): string {
  const shortened = output.slice(0, COMMAND_OUTPUT_LOG_MAX).replace(/\n+$/, '');
  let result = '';
  for (const character of shortened.replace(/[\t\n]/g, ' ')) {
    const code = character.codePointAt(0) ?? 0;
    result += code < 32 || code === 127 ? '_' : character;
  }
  return result;
}

/** The outcome of a command as pipe_command() judges it: undefined for success. */
export function judgeCommand(command: string, outcome: CommandOutcome): Why | undefined {
  const log = outputForLog(outcome.output);
  const tail = log !== '' ? `. Command output: ${log}` : '';
  if (outcome.timedOut) return { dsn: '5.3.0', reason: `Command time limit exceeded: "${command}"${tail}` };
  if (outcome.signal !== undefined) return { dsn: '4.3.0', reason: `Command died with signal ${outcome.signal}: "${command}"${tail}` };
  const status = outcome.exitStatus ?? 0;
  if (status === 0) return undefined;
  const dsnText = /^([245])\.(\d{1,3})\.(\d{1,3})\s+(.*)$/.exec(log);
  if (dsnText) return { dsn: `${dsnText[1]}.${dsnText[2]}.${dsnText[3]}`, reason: dsnText[4] ?? '' };
  const known = SYSTEM_EXITS[status];
  if (known) return { dsn: known[0], reason: `${known[1]}${tail}` };
  return { dsn: '5.3.0', reason: `Command died with status ${status}: "${command}"${tail}` };
}

function environmentFor(state: LocalState, user: UserAttr): Record<string, string> {
  const attr = state.attr;
  const request = state.shared.request;
  const environment: Record<string, string> = {};
  if (user.home !== undefined) environment.HOME = user.home;
  Object.assign(environment, { LOGNAME: attr.user, USER: attr.user, SENDER: attr.sender, RECIPIENT: attr.recipient.address, LOCAL: attr.local });
  if (user.shell !== undefined) environment.SHELL = user.shell;
  if (attr.domain !== undefined) environment.DOMAIN = attr.domain;
  if (attr.extension !== undefined) environment.EXTENSION = attr.extension;
  if (attr.recipient.originalRecipient !== '') environment.ORIGINAL_RECIPIENT = attr.recipient.originalRecipient;
  // The client facts of the delivery request, each only when it has a value (command.c).
  const exported: Array<[string, string | undefined]> = [
    ['CLIENT_HOSTNAME', request.clientName], ['CLIENT_ADDRESS', request.clientAddress],
    ['CLIENT_HELO', request.clientHelo], ['CLIENT_PROTOCOL', request.clientProtocol],
    ['SASL_METHOD', request.saslMethod], ['SASL_SENDER', request.saslSender], ['SASL_USERNAME', request.saslUsername],
  ];
  for (const [name, value] of exported) if (value) environment[name] = value;
  const filter = state.shared.deps.settings.commandExpansionFilter;
  for (const [name, value] of Object.entries(environment)) {
    let clean = '';
    for (const character of value) clean += filter.includes(character) ? character : '_';
    environment[name] = clean;
  }
  return environment;
}

export async function deliverCommand(state: LocalState, userAttr: UserAttr, command: string): Promise<DeliveryStatus> {
  const here = nextLevel(state);
  const { deps, message } = here.shared;
  const settings = deps.settings;
  if (beenHere(here, `command ${here.attr.user}:${userAttr.uid} ${command}`)) return 0;
  const user = await unprivileged(here, userAttr);
  if (user === undefined) {
    return bounceWorkaround(here, { dsn: '4.3.5', reason: 'mail system configuration error' });
  }
  const directory = localExpand(settings.commandExecutionDirectory, here, user, settings.commandExpansionFilter);
  if (directory.error) {
    deps.log.warn(`bad parameter value syntax for command_execution_directory: ${settings.commandExecutionDirectory}`);
    return bounceWorkaround(here, { dsn: '4.3.5', reason: 'mail system configuration error' });
  }
  const input = mailCopy(message, {
    sender: here.attr.sender, originalRecipient: here.attr.recipient.originalRecipient,
    delivered: here.attr.delivered ?? here.attr.recipient.address, nowMs: deps.host.platform.clock.nowMs(),
  }, {
    fromLine: true, returnPath: true, originalRecipient: true, enableOriginalRecipient: settings.enableOriginalRecipient,
    delivered: (settings.deliveredHeaderMask & DeliveredHeader.command) !== 0,
  });
  let outcome: CommandOutcome;
  try {
    outcome = await deps.commands.run({
      command, shell: settings.localCommandShell, uid: user.uid, gid: user.gid,
      environment: environmentFor(here, user), directory: directory.text === '' ? undefined : directory.text,
      input, timeLimitMs: settings.commandTimeLimitSeconds * 1000,
    });
  } catch (error) {
    return bounceWorkaround(here, { dsn: '4.3.0', reason: `system resource problem: ${String(error)}` }).then(() => STATUS_DEFER);
  }
  const failure = judgeCommand(command, outcome);
  if (failure !== undefined) return bounceWorkaround(here, failure);
  return reportSent(here, { dsn: '2.0.0', reason: `delivered to command: ${command}` });
}
