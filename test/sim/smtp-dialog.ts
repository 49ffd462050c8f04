// A hand-typed SMTP dialog for scenario tests: connects from one world host to another's
// port 25 over the simulated network and sends one command at a time, stepping the world
// until the full reply has arrived (bounded in scheduler events). Stands in for the
// scripted SMTP client actor (engine/sim/actors/) in test/sim/scenario-*.test.ts.
// Trusts the World; a reply that never comes fails with the SEED/scenario message.

import type { Connection } from '../../engine/platform/types.ts';
import type { World } from '../../engine/sim/world.ts';
import { tag } from './world.ts';

/** Scheduler events one reply (or the connection) may take to arrive. */
export const DIALOG_EVENTS_MAX = 20_000;

export interface SmtpDialog {
  /** The greeting's reply lines, e.g. ["220 mx.campus.example ESMTP Postfix"]. */
  greeting: string[];
  /** Sends `line` (CRLF added) and returns the reply's lines. */
  send(line: string): Promise<string[]>;
  close(): void;
}

async function stepUntil(world: World, done: () => boolean, what: string): Promise<void> {
  for (let events = 0; !done(); events++) {
    if (events >= DIALOG_EVENTS_MAX) throw new Error(tag(world, `no ${what} after ${events} events`));
    const outcome = await world.step();
    if (outcome.reason === 'idle' && !done()) throw new Error(tag(world, `world idle waiting for ${what}`));
  }
}

/** Opens an SMTP connection from host `from` to `address`:25. */
export async function openSmtpDialog(world: World, from: string, address: string): Promise<SmtpDialog> {
  const client = world.host(from);
  if (client === undefined) throw new Error(tag(world, `no host ${from}`));
  let connection: Connection | undefined;
  let failure: unknown;
  client.platform.net.connect(address, 25).then((opened) => { connection = opened; }, (error: unknown) => { failure = error; });
  await stepUntil(world, () => connection !== undefined || failure !== undefined, `connection to ${address}:25`);
  if (connection === undefined) throw new Error(tag(world, `connect ${address}:25: ${String(failure)}`));
  const open = connection;
  const decoder = new TextDecoder();
  let buffer = '';
  open.onData((chunk) => { buffer += decoder.decode(chunk); });
  /** A complete reply: lines up to one whose fourth character is a space. */
  const takeReply = (): string[] | undefined => {
    const lines = buffer.split('\r\n');
    for (let index = 0; index < lines.length - 1; index++) {
      if (/^\d{3} /.test(lines[index]!) || /^\d{3}$/.test(lines[index]!)) {
        buffer = lines.slice(index + 1).join('\r\n');
        return lines.slice(0, index + 1);
      }
    }
    return undefined;
  };
  const reply = async (what: string): Promise<string[]> => {
    let lines: string[] | undefined;
    await stepUntil(world, () => (lines = takeReply()) !== undefined, what);
    return lines!;
  };
  const greeting = await reply('greeting');
  return {
    greeting,
    async send(line) {
      open.write(new TextEncoder().encode(`${line}\r\n`));
      return reply(`reply to ${line}`);
    },
    close: () => open.end(),
  };
}
