// Durability of mtalab's smtpd in node real mode: a bounded load (MESSAGES messages, each
// with its own token in the Subject, over SESSIONS concurrent SMTP sessions of a small
// client written here) goes to `127.0.0.1:PORT inet ... smtpd`, while the background master
// is SIGKILLed at seeded moments (KILLS_MIN..KILLS_MAX times, each once a seeded number of
// messages has been accepted, plus a seeded few milliseconds) and started again at once.
// The client records which messages got "250 2.0.0 Ok: queued as ID"; a session that loses
// its connection reconnects (bounded) and goes on with the next message. At the end, once
// the queue has drained, every message that got 250 must be in the mailbox at least once.
// Prints "durability: N accepted, N delivered, 0 lost, D duplicates". DURABILITY_SEED picks
// the kills. Needs root (delivery to a local user). Every process stopped by its pid.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { replyCode, SmtpLineClient } from './smtp-line-client.ts';
import { ensureLocalUsers, freeLoopbackPort, type InstanceSpec } from './real-instance.ts';
import { MtalabInstance } from './mtalab-instance.ts';
import { interopRequirements } from './real-postfix.ts';
import { FAST_RETRY_MAIN_CF, seeded, stopInstances, undeliveredFiles, waitForDelivery } from './durability.ts';

const SEED = Number.parseInt(process.env.DURABILITY_SEED ?? '4242', 10) || 4242;
const MESSAGES = 200;
const SESSIONS = 4;
const KILLS_MIN = 3;
const KILLS_MAX = 5;
/** Kill moments fall while this share of the load (from the start) is being accepted. */
const KILL_SPAN = 0.85;
const KILL_JITTER_MS_MAX = 40;
const USER = 'mtalabsmtp';
const DOMAIN = 'mtalab.test';
const BODY_LINES = 16;
/** One reply must come within this long. */
const REPLY_TIMEOUT_MS = 15_000;
/** Reconnect attempts per session after a lost connection (RECONNECT_DELAY_MS apart). */
const RECONNECTS_MAX = 400;
const RECONNECT_DELAY_MS = 50;
const DRAIN_WAIT_MS = 90_000;
const SUBJECT = /^Subject: (durability-\d+-\d{4})$/gm;

const available = interopRequirements({ root: true });
const instances: MtalabInstance[] = [];

after(() => stopInstances(instances, process.env.DURABILITY_KEEP === '1'));

const tokenOf = (index: number): string => `durability-${SEED}-${String(index).padStart(4, '0')}`;

function messageText(index: number): string {
  const body = Array.from({ length: BODY_LINES }, (_, line) => `line ${line} of message ${index}: the quick brown fox jumps over the lazy dog`);
  return [`From: load@example.test`, `To: ${USER}@${DOMAIN}`, `Subject: ${tokenOf(index)}`, '', ...body, '.ends with a dot-stuffed line'].join('\r\n');
}

test(`SIGKILL of the smtpd host under load: every message that got 250 is delivered (seed ${SEED})`, {
  skip: available ? false : 'needs root (delivery to a local user)', timeout: 600_000,
}, async () => {
  ensureLocalUsers([USER]);
  const port = await freeLoopbackPort();
  const spec: InstanceSpec = {
    smtpdListen: `127.0.0.1:${port}`,
    mainCf: `myhostname = mx.${DOMAIN}
mydestination = $myhostname, localhost, ${DOMAIN}
maillog_file_prefixes = /var, /dev/stdout, /tmp, @DIR@
${FAST_RETRY_MAIN_CF}`,
  };
  const mtalab = MtalabInstance.create(spec, 'mtalab-durability-');
  instances.push(mtalab);
  await mtalab.start();

  const random = seeded(SEED);
  const killCount = KILLS_MIN + Math.floor(random() * (KILLS_MAX - KILLS_MIN + 1));
  const killAt = Array.from({ length: killCount }, () => 1 + Math.floor(random() * MESSAGES * KILL_SPAN)).sort((a, b) => a - b);
  const jitters = killAt.map(() => Math.floor(random() * KILL_JITTER_MS_MAX));
  const accepted = new Map<string, string>();
  const failures: string[] = [];
  let next = 0;
  let reconnects = 0;
  let kills = 0;
  let stopped = false;

  const session = async (): Promise<void> => {
    let connection: SmtpLineClient | undefined;
    for (let attempts = 0; next < MESSAGES && attempts <= RECONNECTS_MAX;) {
      try {
        if (connection === undefined) {
          connection = await SmtpLineClient.open(port, { replyTimeoutMs: REPLY_TIMEOUT_MS });
          const greeting = await connection.reply();
          if (replyCode(greeting) !== 220) throw new Error(`greeting ${greeting}`);
          const ehlo = await connection.command('EHLO load.example.test');
          if (replyCode(ehlo) !== 250) throw new Error(`EHLO ${ehlo}`);
        }
        const index = next++;
        const mail = await connection.command('MAIL FROM:<load@example.test>');
        if (replyCode(mail) !== 250) { failures.push(`${index} MAIL ${mail}`); continue; }
        const rcpt = await connection.command(`RCPT TO:<${USER}@${DOMAIN}>`);
        if (replyCode(rcpt) !== 250) { failures.push(`${index} RCPT ${rcpt}`); await connection.command('RSET'); continue; }
        const data = await connection.command('DATA');
        if (replyCode(data) !== 354) { failures.push(`${index} DATA ${data}`); continue; }
        const done = await connection.command(`${messageText(index)}\r\n.`);
        const id = /^250 2\.0\.0 Ok: queued as (\w+)$/.exec(done)?.[1];
        if (id !== undefined) accepted.set(tokenOf(index), id);
        else failures.push(`${index} end of data: ${done}`);
      } catch (error) {
        connection?.close();
        connection = undefined;
        attempts++;
        reconnects++;
        if (!/ECONNREFUSED|connection lost|ECONNRESET|EPIPE/.test(String(error))) failures.push(`session: ${String(error)}`);
        await sleep(RECONNECT_DELAY_MS);
      }
    }
    if (connection !== undefined) {
      await connection.command('QUIT').catch(() => undefined);
      connection.close();
    }
  };

  const killer = async (): Promise<void> => {
    for (const [position, threshold] of killAt.entries()) {
      for (let waited = 0; accepted.size < threshold && !stopped && waited < 120_000; waited += 2) await sleep(2);
      if (stopped) return;
      await sleep(jitters[position]!);
      await mtalab.kill();
      kills++;
      await mtalab.start();
    }
  };

  const started = Date.now();
  const killing = killer();
  await Promise.all(Array.from({ length: SESSIONS }, () => session()));
  stopped = true;
  await killing;
  const loadMs = Date.now() - started;

  const mailboxPath = join(mtalab.mailDirectory, USER);
  const counts = await waitForDelivery(mailboxPath, mtalab.queueDirectory, accepted.keys(), SUBJECT, DRAIN_WAIT_MS);
  const lost = [...accepted.keys()].filter((token) => (counts.get(token) ?? 0) === 0);
  const delivered = [...accepted.keys()].length - lost.length;
  const duplicates = [...counts.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
  const unacknowledged = [...counts.keys()].filter((token) => !accepted.has(token)).length;
  console.log(`durability: ${accepted.size} accepted, ${delivered} delivered, ${lost.length} lost, ${duplicates} duplicates`);
  console.log(`  seed ${SEED}: ${MESSAGES} sent over ${SESSIONS} sessions in ${loadMs} ms, ${kills} kills after ${killAt.join(', ')} accepted, `
    + `${reconnects} reconnects, ${unacknowledged} delivered without a 250 (in flight at a kill), queue left: ${undeliveredFiles(mtalab.queueDirectory).join(' ') || 'none'}`);
  for (const failure of failures.slice(0, 10)) console.log(`  ${failure}`);
  assert.equal(kills, killCount);
  assert.ok(accepted.size >= MESSAGES - 3 * killCount * SESSIONS, `most messages accepted (${accepted.size})`);
  assert.deepEqual(lost.map((token) => `${token} (${accepted.get(token)})`), [], 'accepted messages missing from the mailbox');
  assert.deepEqual(failures.filter((failure) => !failure.includes('connection lost')), [], 'no unexpected replies');
  await mtalab.stop();
});
