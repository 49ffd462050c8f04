// smtpd's reply buffering (engine/smtpd/api.ts): replies go out when the core needs more
// input, so a pipelined batch of commands is answered in one write, as Postfix's smtpd
// flushes its output stream only when its input buffer runs dry; a client that waits for
// each reply still gets each reply at once; the session's last replies are written before
// the connection closes. Runs the core on a started sim host's environment.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSmtpHost } from './chat.ts';
import { createSmtpdEnvironment } from '../../../engine/smtpd/environment.ts';
import { openSmtpdSession } from '../../../engine/smtpd/api.ts';
import type { ServiceTraceInput } from '../../../engine/master/contracts.ts';
import { createReporter } from '../../../engine/global/msg.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function session() {
  const host = await createSmtpHost();
  const runtime = host.runtime!;
  const pid = 4343;
  const log = createReporter({ program: 'smtpd', host: host.host, pid, stderr: { write: () => undefined, isTty: false } });
  const env = await createSmtpdEnvironment({
    config: runtime.config(), platform: host.platform, log,
    trace: (event: ServiceTraceInput) => host.platform.trace.emit({ ...event, host: host.host.name, service: 'smtpd', pid } as never),
    cleanup: () => runtime.cleanup(), rewrite: () => runtime.rewrite(),
  });
  const writes: string[] = [];
  let closedAfter = -1;
  const client = { name: 'localhost', reverseName: 'localhost', address: '127.0.0.1', port: 40000, nameStatus: 'ok' as const, reverseNameStatus: 'ok' as const };
  const connection = openSmtpdSession(env, client, 'test/flush', {
    write: (bytes) => { writes.push(decoder.decode(bytes)); },
    close: () => { closedAfter = writes.length; },
  });
  await host.run({ quietMs: 2000 });
  const send = async (text: string): Promise<string[]> => {
    const before = writes.length;
    connection.receive(encoder.encode(text));
    await host.run({ quietMs: 3000 });
    return writes.slice(before);
  };
  return { writes, send, closedAfter: () => closedAfter };
}

test('smtpd: a pipelined batch is answered in one write; the last replies go out before the close', async () => {
  const { writes, send, closedAfter } = await session();
  assert.deepEqual(writes, ['220 mail.example.com ESMTP Postfix\r\n']);
  const batch = await send('EHLO client.example.com\r\nMAIL FROM:<sender@example.com>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
  assert.equal(batch.length, 1, JSON.stringify(batch));
  assert.match(batch[0]!, /^250-mail\.example\.com\r\n(250-[^\r]*\r\n)*250 [^\r]*\r\n250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n354 End data with <CR><LF>\.<CR><LF>\r\n$/);
  const end = await send('Subject: test\r\n\r\nbody\r\n.\r\nQUIT\r\n');
  assert.equal(end.length, 1, JSON.stringify(end));
  assert.match(end[0]!, /^250 2\.0\.0 Ok: queued as \w+\r\n221 2\.0\.0 Bye\r\n$/);
  assert.equal(closedAfter(), writes.length, 'the close comes after the last write');
});

test('smtpd: a client that waits for each reply gets each one in its own write', async () => {
  const { send } = await session();
  assert.deepEqual(await send('HELO client.example.com\r\n'), ['250 mail.example.com\r\n']);
  assert.deepEqual(await send('MAIL FROM:<sender@example.com>\r\n'), ['250 2.1.0 Ok\r\n']);
  assert.deepEqual(await send('NOOP\r\n'), ['250 2.0.0 Ok\r\n']);
});
