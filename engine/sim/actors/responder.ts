// A remote SMTP server that answers from a script: listens on its address, greets, and
// replies to EHLO/HELO, MAIL, RCPT (one scripted reply per recipient, the last repeating),
// DATA, the end of the message, RSET and QUIT with the scenario's texts -- so that a
// Postfix smtp client meets a 4xx (deferral) or a 5xx (bounce) where the script says. A 421
// reply closes the connection after it is sent. Each command and its answer are traced as
// 'sim.actor' events. Called by engine/sim/actors/index.ts. Trusts its script; reads only
// complete lines and keeps a bounded amount of message content.

import type { Connection, Listener, Network } from '../../platform/types.ts';
import type { TraceSink } from '../../global/trace.ts';
import type { ResponderReplies } from './types.ts';

/** Bytes of unfinished input a responder keeps before it drops the connection. */
const INPUT_BYTES_MAX = 1024 * 1024;

export interface ResponderRun {
  name: string;
  net: Network;
  trace: TraceSink;
  host: string;
  address: string;
  port: number;
  replies: ResponderReplies;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The replies a responder gives where its script says nothing. */
function defaults(name: string): Required<Omit<ResponderReplies, 'rcpt'>> & { rcpt: string[] } {
  return {
    greeting: `220 ${name} ESMTP`, ehlo: `250-${name}\n250-8BITMIME\n250 ENHANCEDSTATUSCODES`, helo: `250 ${name}`,
    mail: '250 2.1.0 Ok', rcpt: ['250 2.1.5 Ok'], data: '354 End data with <CR><LF>.<CR><LF>',
    dot: '250 2.0.0 Ok: queued as RESPONDER', rset: '250 2.0.0 Ok', quit: '221 2.0.0 Bye',
  };
}

export async function startResponder(run: ResponderRun): Promise<Listener> {
  const base = defaults(run.name);
  const script = { ...base, ...run.replies };
  const rcptReplies = typeof script.rcpt === 'string' ? [script.rcpt] : script.rcpt.length > 0 ? script.rcpt : base.rcpt;
  const emit = (step: 'listen' | 'reply' | 'closed', text: string): void => {
    run.trace.emit({ kind: 'sim.actor', actor: run.name, role: 'responder', step, text, host: run.host, service: 'actor', pid: 0 });
  };
  const listener = await run.net.listen(run.address, run.port, (connection) => serve(connection, script, rcptReplies, emit));
  emit('listen', `${run.address}:${run.port}`);
  return listener;
}

function serve(
  connection: Connection, script: Required<Omit<ResponderReplies, 'rcpt'>>, rcptReplies: readonly string[],
  emit: (step: 'reply' | 'closed', text: string) => void,
): void {
  let input = '';
  let inData = false;
  let rcptCount = 0;
  let open = true;
  const answer = (command: string, reply: string): void => {
    if (!open) return;
    emit('reply', `${command} -> ${reply}`);
    connection.write(encoder.encode(`${reply.split('\n').join('\r\n')}\r\n`));
    if (/^421[ -]/.test(reply) || command === 'QUIT') {
      open = false;
      connection.end();
    }
  };
  const command = (line: string): void => {
    const verb = (line.split(' ')[0] ?? '').toUpperCase();
    switch (verb) {
      case 'EHLO': return answer(line, script.ehlo);
      case 'HELO': return answer(line, script.helo);
      case 'MAIL': rcptCount = 0; return answer(line, script.mail);
      case 'RCPT': return answer(line, rcptReplies[Math.min(rcptCount++, rcptReplies.length - 1)] as string);
      case 'DATA':
        inData = script.data.startsWith('354');
        return answer(line, script.data);
      case 'RSET': return answer(line, script.rset);
      case 'QUIT': return answer('QUIT', script.quit);
      case 'NOOP': return answer(line, '250 2.0.0 Ok');
      default: return answer(line, '502 5.5.2 Error: command not recognized');
    }
  };
  connection.onData((chunk) => {
    input += decoder.decode(chunk);
    if (input.length > INPUT_BYTES_MAX) return void connection.destroy();
    for (let newline = input.indexOf('\n'); newline !== -1 && open; newline = input.indexOf('\n')) {
      const line = input.slice(0, newline).replace(/\r$/, '');
      input = input.slice(newline + 1);
      if (inData) {
        if (line === '.') {
          inData = false;
          answer('.', script.dot);
        }
        continue;
      }
      command(line);
    }
  });
  connection.onClose(() => {
    open = false;
    emit('closed', 'connection closed');
  });
  answer('(connect)', script.greeting);
}
