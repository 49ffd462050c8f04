// A client that talks before the greeting, over the simulated network as the reference
// script (smtp/scripts/03b-talk-before-greeting.py) does it: the burst is written the
// moment the connection is up (ConnectOptions.earlyData), so it is at the server before
// smtpd looks for early input, as on a real network. smtpd's maillog lines are compared
// with smtp/03b and 03c (real Postfix 3.7.11): "improper command pipelining after CONNECT"
// with the escaped burst, and with smtpd_forbid_unauth_pipelining = yes the 554 instead of
// the greeting and "commands=0/0".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ChatClient, createSmtpHost } from './chat.ts';

const SMTP = '/work/shared/reference/postfix-3.7/smtp';
const BURST = ['EHLO early.remote.test', 'MAIL FROM:<sender@remote.test>', 'RCPT TO:<alice@example.com>', 'QUIT'];

/** The reference's smtpd lines, after "smtpd[pid]: ", queue ids replaced. */
function referenceLines(file: string): string[] {
  const text = readFileSync(`${SMTP}/${file}`, 'utf8');
  const start = text.indexOf('### maillog lines produced:');
  return text.slice(start).split('\n').filter((line) => /\/smtpd\[\d+\]: /.test(line))
    .map((line) => line.replace(/^.*?smtpd\[\d+\]: /, '').replace(/^[0-9A-F]{6,}: /, 'QUEUEID: '));
}

async function earlyTalker(settings: Record<string, string>): Promise<{ transcript: string[]; lines: string[] }> {
  const host = await createSmtpHost({ settings });
  const client = await ChatClient.connect(host, undefined, undefined, new TextEncoder().encode(BURST.map((line) => `${line}\r\n`).join('')));
  for (let count = 0; count < 30 && !client.closed; count++) {
    if ((await client.reply(5000)).length === 0) break;
  }
  client.close();
  await host.run({ quietMs: 3000 });
  const lines = (await host.maillog()).filter((line) => /\/smtpd\[\d+\]: /.test(line))
    .map((line) => line.replace(/^.*?smtpd\[\d+\]: /, '').replace(/^[0-9A-F]{6,}: /, 'QUEUEID: '));
  await host.stop();
  return { transcript: client.transcript, lines };
}

test('03b: the early burst is logged as improper pipelining after CONNECT, then served', async () => {
  const { transcript, lines } = await earlyTalker({});
  assert.deepEqual(lines, referenceLines('03b-talk-before-greeting.txt'));
  assert.equal(transcript.filter((line) => line.startsWith('S: ')).at(0), 'S: 220 mail.example.com ESMTP Postfix');
});

test('03c: with smtpd_forbid_unauth_pipelining = yes the burst gets 554 instead of the greeting', async () => {
  const { transcript, lines } = await earlyTalker({ smtpd_forbid_unauth_pipelining: 'yes', mynetworks: '192.0.2.0/24' });
  assert.deepEqual(transcript.filter((line) => line.startsWith('S: ')), ['S: 554 5.5.0 Error: SMTP protocol synchronization']);
  assert.deepEqual(lines, referenceLines('03c-talk-before-greeting-forbid-unauth-pipelining.txt'));
});
