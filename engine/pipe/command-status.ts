// What pipe(8) makes of a finished command: killed by the time limit (5.3.0, bounce),
// killed by a signal (4.3.0, defer), "D.S.N text" on its output (that code), a
// <sysexits.h> status (its code and text), any other non-zero status (bounce "Command died
// with status N"), a write error other than a closed pipe (bounce "Command failed"), or
// success with the output kept for the log. The output is cut to a buffer's worth, tabs
// and newlines become spaces and other unprintable characters '_'.
// Called by api.ts. Pure. Models the parent side of pipe_command() in
// src/global/pipe_command.c.

import { dsnSplit, validDsnLength } from '../error/dsn-split.ts';
import { isSysExitCode, sysExitDetail, EX_SOFTWARE } from './sys-exits.ts';

/** VSTREAM_BUFSIZE: the command output kept for the log. */
export const COMMAND_OUTPUT_BYTES_MAX = 4096;

export interface CommandOutcome {
  /** The exit status when the command exited. */
  exitStatus?: number;
  /** The signal number when it was killed. */
  signal?: number;
  timedOut?: boolean;
  /** stdout and stderr together, as the command wrote them. */
  output: string;
  /** A failure writing the message to the command ('EPIPE' when it closed its input). */
  writeError?: { code: string; text: string };
}

export type CommandVerdict =
  | { kind: 'ok'; output: string }
  | { kind: 'bounce' | 'defer'; dsn: string; reason: string };

/** translit("\t\n", "  ") and printable('_') over the first buffer's worth. */
export function cleanOutput(output: string): string {
  let text = '';
  for (const character of output.slice(0, COMMAND_OUTPUT_BYTES_MAX - 1)) {
    if (character === '\t' || character === '\n') text += ' ';
    else if (character < ' ' || character === '\x7f') text += '_';
    else text += character;
  }
  return text;
}

function withOutput(text: string, output: string): string {
  return output === '' ? text : `${text}. Command output: ${output}`;
}

export function commandVerdict(outcome: CommandOutcome, command: string): CommandVerdict {
  const output = cleanOutput(outcome.output);
  if (outcome.timedOut === true) {
    return { kind: 'bounce', dsn: '5.3.0', reason: withOutput(`Command time limit exceeded: "${command}"`, output) };
  }
  if (outcome.signal !== undefined) {
    return { kind: 'defer', dsn: '4.3.0', reason: withOutput(`Command died with signal ${outcome.signal}: "${command}"`, output) };
  }
  const status = outcome.exitStatus ?? EX_SOFTWARE;
  if (status !== 0) {
    if (validDsnLength(output) > 0) {
      const split = dsnSplit('5.3.0', output);
      return { kind: split.dsn.startsWith('4') ? 'defer' : 'bounce', dsn: split.dsn, reason: split.text };
    }
    const detail = sysExitDetail(status);
    if (isSysExitCode(status)) {
      return { kind: detail.dsn.startsWith('4') ? 'defer' : 'bounce', dsn: detail.dsn, reason: withOutput(detail.text, output) };
    }
    return { kind: 'bounce', dsn: detail.dsn, reason: withOutput(`Command died with status ${status}: "${command}"`, output) };
  }
  if (outcome.writeError !== undefined && outcome.writeError.code !== 'EPIPE') {
    return { kind: 'bounce', dsn: '5.3.0', reason: `Command failed: error writing message: ${outcome.writeError.text}: "${command}"` };
  }
  return { kind: 'ok', output };
}
