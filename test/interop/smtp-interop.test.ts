// SMTP interop on loopback: mtalab in node real mode (its smtpd on 127.0.0.1:PORT) beside a
// private real Postfix 3.7.11 instance (its smtpd on 127.0.0.2:PORT), made from one
// InstanceSpec shape. Mail goes both ways through transport_maps `smtp:[ADDRESS]:PORT`
// (real -> mtalab, mtalab -> real); the mailboxes and both maillogs are read, and the
// "queued as" id in the sender's smtp line must be the receiver's queue id in its smtpd,
// qmgr and local lines; a message to a good and an unknown recipient each way gives the same
// RCPT refusal, the same bounced/sent lines (normalised) and a DSN back to the sender. Then
// real clients against mtalab: swaks (plain, and with
// --pipeline), nodemailer, and Postfix's smtp-source (20 messages over 4 sessions), each
// message delivered. STARTTLS and AUTH with swaks are T1's tests. Needs root, the real
// Postfix, swaks and smtp-source; skipped without them. Every process stopped by its pid.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import {
  ensureLocalUsers, freeLoopbackPort, RealPostfixInstance, run, settleFile, waitFor, type InstanceSpec,
} from './real-instance.ts';
import { MtalabInstance } from './mtalab-instance.ts';
import { interopRequirements } from './real-postfix.ts';

const USER = 'mtalabsmtp';
const MTALAB_ADDRESS = '127.0.0.1';
const REAL_ADDRESS = '127.0.0.2';
const MTALAB_HOST = 'mx.mtalab.test';
const MTALAB_DOMAIN = 'mtalab.test';
const REAL_DOMAIN = 'real.test';
const DELIVERY_WAIT_MS = 30_000;
const SOURCE_MESSAGES = 20;
const SOURCE_SESSIONS = 4;

const available = interopRequirements({ root: true, paths: ['/usr/sbin/postfix', '/usr/sbin/smtp-source', '/usr/bin/swaks'] });
const skip = available ? false : 'needs root, the real Postfix, smtp-source and swaks';

let mtalab: MtalabInstance | undefined;
let real: RealPostfixInstance | undefined;
let mtalabPort = 0;
let realPort = 0;

before(async () => {
  if (!available) return;
  ensureLocalUsers([USER]);
  mtalabPort = await freeLoopbackPort(MTALAB_ADDRESS);
  realPort = await freeLoopbackPort(REAL_ADDRESS);
  const transport = 'etc/transport';
  const mtalabSpec: InstanceSpec = {
    smtpdListen: `${MTALAB_ADDRESS}:${mtalabPort}`,
    mainCf: `myhostname = ${MTALAB_HOST}
mydomain = ${MTALAB_DOMAIN}
mydestination = $myhostname, localhost, $mydomain
transport_maps = hash:@DIR@/${transport}
maillog_file_prefixes = /var, /dev/stdout, /tmp, @DIR@
`,
    files: { [transport]: `${REAL_DOMAIN} smtp:[${REAL_ADDRESS}]:${realPort}\n` },
    postmap: [`hash:@DIR@/${transport}`],
  };
  const realSpec: InstanceSpec = {
    smtpdListen: `${REAL_ADDRESS}:${realPort}`,
    mainCf: `mydestination = $myhostname, localhost, ${REAL_DOMAIN}
transport_maps = hash:@DIR@/${transport}
`,
    files: { [transport]: `${MTALAB_DOMAIN} smtp:[${MTALAB_ADDRESS}]:${mtalabPort}\n` },
    postmap: [`hash:@DIR@/${transport}`],
  };
  mtalab = MtalabInstance.create(mtalabSpec);
  real = RealPostfixInstance.create(realSpec);
  await mtalab.start();
  await real.start();
});

after(async () => {
  try {
    await mtalab?.stop();
  } finally {
    try {
      await real?.stop();
    } finally {
      mtalab?.remove();
      if (process.env.MTALAB_INTEROP_KEEP !== '1') real?.remove();
    }
  }
});

function mailbox(directory: string): string {
  const path = `${directory}/${USER}`;
  return existsSync(path) ? readFileSync(path, 'latin1') : '';
}

/** The mbox messages (split at "From " separator lines). */
function messages(text: string): string[] {
  return text.split(/^(?=From \S+ {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$)/m).filter((part) => part !== '');
}

function messageWith(text: string, token: string): string | undefined {
  return messages(text).find((message) => message.includes(token));
}

async function waitForLine(lines: () => string[], pattern: RegExp, what: string): Promise<RegExpExecArray> {
  let found: RegExpExecArray | null = null;
  await waitFor(() => {
    for (const line of lines()) if ((found = pattern.exec(line)) !== null) return true;
    return false;
  }, DELIVERY_WAIT_MS);
  assert.ok(found !== null, `no maillog line like ${pattern} (${what}):\n${lines().slice(-30).join('\n')}`);
  return found;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The receiving mtalab's lines for a queue id: smtpd client=, qmgr from=, local sent, removed. */
function assertMtalabReceived(id: string, sender: string, recipient: string): void {
  const lines = mtalab!.maillog().filter((line) => line.includes(` ${id}: `)).map((line) => line.replace(/^.*? postfix-interop\//, ''));
  assert.ok(lines.some((line) => new RegExp(`^smtpd\\[\\d+\\]: ${id}: client=localhost\\[127\\.0\\.0\\.1\\]$`).test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => new RegExp(`^qmgr\\[\\d+\\]: ${id}: from=<${escape(sender)}>, size=\\d+, nrcpt=1 \\(queue active\\)$`).test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => new RegExp(`^local\\[\\d+\\]: ${id}: to=<${escape(recipient)}>, relay=local, delay=[\\d.]+, delays=[\\d./]+, dsn=2\\.0\\.0, status=sent \\(delivered to mailbox\\)$`).test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => line === `qmgr[${/qmgr\[(\d+)\]/.exec(lines.join('\n'))?.[1]}]: ${id}: removed`), lines.join('\n'));
}

test('real Postfix relays to mtalab (transport_maps smtp:[127.0.0.1]:PORT)', { skip }, async () => {
  const token = `real-to-mtalab-${process.pid}`;
  const sender = `alice@${REAL_DOMAIN}`;
  const recipient = `${USER}@${MTALAB_DOMAIN}`;
  const sent = real!.sendmail(['-f', sender, recipient], `From: ${sender}\nTo: ${recipient}\nSubject: ${token}\n\nbody of ${token}\n.leading dot\n`);
  assert.equal(sent.status, 0, sent.stderr);
  const relayed = await waitForLine(() => real!.maillog(),
    new RegExp(`postfix-interop/smtp\\[\\d+\\]: (\\w+): to=<${escape(recipient)}>, relay=${escape(MTALAB_ADDRESS)}\\[${escape(MTALAB_ADDRESS)}\\]:${mtalabPort}, delay=[\\d.]+, delays=[\\d./]+, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as (\\w+)\\)$`),
    'the real smtp client');
  const [, realId, mtalabId] = relayed;
  await waitFor(() => messageWith(mailbox(mtalab!.mailDirectory), token) !== undefined, DELIVERY_WAIT_MS);
  await settleFile(mtalab!.maillogPath);
  assertMtalabReceived(mtalabId!, sender, recipient);
  const message = messageWith(mailbox(mtalab!.mailDirectory), token);
  assert.ok(message !== undefined, 'the message is in mtalab\'s mailbox');
  assert.match(message, new RegExp(`^From ${escape(sender)}  .*\\nReturn-Path: <${escape(sender)}>\\nX-Original-To: ${escape(recipient)}\\nDelivered-To: ${escape(recipient)}\\n`));
  assert.match(message, new RegExp(`\\nReceived: from mail\\.example\\.test \\(localhost \\[127\\.0\\.0\\.1\\]\\)\\n\\tby ${escape(MTALAB_HOST)} \\(Postfix\\) with ESMTP id ${mtalabId}\\n\\tfor <${escape(recipient)}>; `));
  assert.match(message, new RegExp(`\\nReceived: by mail\\.example\\.test \\(Postfix, from userid 0\\)\\n\\tid ${realId}; `));
  assert.match(message, new RegExp(`\\nSubject: ${token}\\n[^]*\\n\\nbody of ${token}\\n\\.leading dot\\n\\n$`));
  assert.ok(real!.maillog().some((line) => line.endsWith(`: ${realId}: removed`)));
  console.log(`real -> mtalab: real ${realId} relayed, mtalab queued as ${mtalabId} and delivered`);
});

test('mtalab relays to real Postfix (transport_maps smtp:[127.0.0.2]:PORT)', { skip }, async () => {
  const token = `mtalab-to-real-${process.pid}`;
  const sender = `bob@${MTALAB_DOMAIN}`;
  const recipient = `${USER}@${REAL_DOMAIN}`;
  const sent = mtalab!.sendmail(['-f', sender, recipient], `From: ${sender}\nTo: ${recipient}\nSubject: ${token}\n\nbody of ${token}\n.leading dot\n`);
  assert.equal(sent.status, 0, sent.stderr);
  const relayed = await waitForLine(() => mtalab!.maillog(),
    new RegExp(`postfix-interop/smtp\\[\\d+\\]: (\\w+): to=<${escape(recipient)}>, relay=${escape(REAL_ADDRESS)}\\[${escape(REAL_ADDRESS)}\\]:${realPort}, delay=[\\d.]+, delays=[\\d./]+, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as (\\w+)\\)$`),
    'the mtalab smtp client');
  const [, mtalabId, realId] = relayed;
  await waitFor(() => messageWith(mailbox(real!.mailDirectory), token) !== undefined, DELIVERY_WAIT_MS);
  await real!.waitForQueue();
  const lines = real!.maillog().filter((line) => line.includes(` ${realId}: `)).map((line) => line.replace(/^.*? postfix-interop\//, ''));
  assert.ok(lines.some((line) => /^smtpd\[\d+\]: \w+: client=localhost\[127\.0\.0\.1\]$/.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => line.includes(`qmgr`) && line.includes(`from=<${sender}>, size=`)), lines.join('\n'));
  assert.ok(lines.some((line) => new RegExp(`^local\\[\\d+\\]: \\w+: to=<${escape(recipient)}>, relay=local, .*, dsn=2\\.0\\.0, status=sent \\(delivered to mailbox\\)$`).test(line)), lines.join('\n'));
  assert.ok(mtalab!.maillog().some((line) => line.endsWith(`: ${mtalabId}: removed`)));
  const message = messageWith(mailbox(real!.mailDirectory), token)!;
  assert.match(message, new RegExp(`\\nReceived: from ${escape(MTALAB_HOST)} \\(localhost \\[127\\.0\\.0\\.1\\]\\)\\n\\tby mail\\.example\\.test \\(Postfix\\) with ESMTP id ${realId}\\n\\tfor <${escape(recipient)}>; `));
  assert.match(message, new RegExp(`\\nReceived: by ${escape(MTALAB_HOST)} \\(Postfix, from userid 0\\)\\n\\tid ${mtalabId}; `));
  assert.match(message, new RegExp(`\\nSubject: ${token}\\n[^]*\\n\\nbody of ${token}\\n\\.leading dot\\n\\n$`));
  console.log(`mtalab -> real: mtalab ${mtalabId} relayed, real queued as ${realId} and delivered`);
});

/** The queue id in a client's "250 2.0.0 Ok: queued as ID" reply. */
function queuedAs(text: string): string {
  const id = /250 2\.0\.0 Ok: queued as (\w+)/.exec(text)?.[1];
  assert.ok(id !== undefined, `no "queued as" reply in:\n${text}`);
  return id;
}

async function assertDelivered(id: string, sender: string, token: string): Promise<void> {
  await waitFor(() => messageWith(mailbox(mtalab!.mailDirectory), token) !== undefined, DELIVERY_WAIT_MS);
  await settleFile(mtalab!.maillogPath);
  assertMtalabReceived(id, sender, `${USER}@${MTALAB_DOMAIN}`);
  assert.ok(messageWith(mailbox(mtalab!.mailDirectory), token)?.includes(` with ESMTP id ${id}\n`));
}

for (const pipelined of [false, true]) {
  test(`swaks against mtalab${pipelined ? ' (--pipeline)' : ''}`, { skip }, async () => {
    const token = `swaks-${pipelined ? 'pipelined' : 'plain'}-${process.pid}`;
    const sender = `swaks@${REAL_DOMAIN}`;
    const result = run(['swaks', '--server', `${MTALAB_ADDRESS}:${mtalabPort}`, '--ehlo', 'client.example.test',
      '--from', sender, '--to', `${USER}@${MTALAB_DOMAIN}`, '--header', `Subject: ${token}`, '--body', `body of ${token}`,
      ...(pipelined ? ['--pipeline'] : [])]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /<- {2}220 mx\.mtalab\.test ESMTP Postfix/);
    assert.match(result.stdout, /<- {2}250-PIPELINING\n/);
    assert.match(result.stdout, /<- {2}221 2\.0\.0 Bye/);
    await assertDelivered(queuedAs(result.stdout), sender, token);
  });
}

test('nodemailer sends to mtalab', { skip }, async () => {
  const token = `nodemailer-${process.pid}`;
  const sender = `node@${REAL_DOMAIN}`;
  const transporter = nodemailer.createTransport({ host: MTALAB_ADDRESS, port: mtalabPort, secure: false, ignoreTLS: true, name: 'nodemailer.example.test' });
  try {
    const info = await transporter.sendMail({
      from: sender, to: `${USER}@${MTALAB_DOMAIN}`, subject: token,
      text: `body of ${token}\n.a line with a leading dot\n`,
      attachments: [{ filename: 'data.bin', content: Buffer.from(Array.from({ length: 3000 }, (_, index) => index % 256)) }],
    });
    assert.deepEqual(info.accepted, [`${USER}@${MTALAB_DOMAIN}`]);
    assert.deepEqual(info.rejected, []);
    const id = queuedAs(info.response);
    await assertDelivered(id, sender, token);
    const message = messageWith(mailbox(mtalab!.mailDirectory), token)!;
    assert.match(message, /\nContent-Type: multipart\/mixed; boundary=/);
    assert.match(message, /\nContent-Disposition: attachment; filename=data\.bin\n/);
    assert.match(message, /\n\.a line with a leading dot\n/);
  } finally {
    transporter.close();
  }
});

test(`smtp-source: ${SOURCE_MESSAGES} messages over ${SOURCE_SESSIONS} sessions to mtalab, every one delivered`, { skip }, async () => {
  const sender = `source-${process.pid}@${REAL_DOMAIN}`;
  const result = spawnSync('/usr/sbin/smtp-source', ['-c', '-m', String(SOURCE_MESSAGES), '-s', String(SOURCE_SESSIONS), '-l', '1024',
    '-f', sender, '-t', `${USER}@${MTALAB_DOMAIN}`, `${MTALAB_ADDRESS}:${mtalabPort}`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const fromLine = new RegExp(`postfix-interop/qmgr\\[\\d+\\]: (\\w+): from=<${escape(sender)}>, size=\\d+, nrcpt=1 \\(queue active\\)$`);
  const ids = (): string[] => mtalab!.maillog().map((line) => fromLine.exec(line)?.[1]).filter((id): id is string => id !== undefined);
  const delivered = (): string[] => ids().filter((id) => mtalab!.maillog().some((line) => line.includes(` ${id}: to=<${USER}@${MTALAB_DOMAIN}>, relay=local, `) && line.includes('status=sent')));
  await waitFor(() => delivered().length >= SOURCE_MESSAGES, DELIVERY_WAIT_MS);
  await settleFile(mtalab!.maillogPath);
  assert.equal(ids().length, SOURCE_MESSAGES, 'messages queued');
  assert.equal(new Set(ids()).size, SOURCE_MESSAGES, 'distinct queue ids');
  assert.equal(delivered().length, SOURCE_MESSAGES, 'messages delivered');
  const inMailbox = messages(mailbox(mtalab!.mailDirectory)).filter((message) => message.startsWith(`From ${sender}  `));
  assert.equal(inMailbox.length, SOURCE_MESSAGES);
  for (const message of inMailbox) assert.ok(message.length > 1024, 'each message carries its 1 KB body');
  const sessions = mtalab!.maillog().filter((line) => /smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\] (ehlo|helo)=1 mail=\d+ rcpt=\d+ data=\d+ quit=1 commands=\d+$/.test(line));
  assert.ok(sessions.length >= SOURCE_SESSIONS, sessions.join('\n'));
  console.log(`smtp-source: ${SOURCE_MESSAGES}/${SOURCE_MESSAGES} queued and delivered`);
});

/** The delivery lines of a queue id for two recipients, with ports, delays and addresses
 *  of the two sides made alike: "to=<local part>, relay=PEER, dsn=..., status=... (...)". */
function deliveryShape(line: string, peerAddress: string, peerPort: number, domain: string): string {
  return line.replace(/^.*?: \w+: /, '').replace(/delay=[\d.]+, delays=[\d./]+, /, '')
    .split(`${peerAddress}[${peerAddress}]:${peerPort}`).join('PEER').split(`${peerAddress}[${peerAddress}]`).join('PEERHOST')
    .split(`@${domain}`).join('@DOMAIN').replace(/queued as \w+\)$/, 'queued as ID)');
}

/** Sends one message to USER and nosuchuser at the other side; returns the sender's two
 *  delivery lines (shaped) and the DSN the sender got back in its own mailbox. */
async function mixedRecipients(direction: 'real-to-mtalab' | 'mtalab-to-real'): Promise<{ lines: string[]; dsn: string }> {
  const fromReal = direction === 'real-to-mtalab';
  const [senderSide, senderDomain, peerDomain, peerAddress, peerPort] = fromReal
    ? [real!, REAL_DOMAIN, MTALAB_DOMAIN, MTALAB_ADDRESS, mtalabPort] as const
    : [mtalab!, MTALAB_DOMAIN, REAL_DOMAIN, REAL_ADDRESS, realPort] as const;
  const token = `mixed-${direction}-${process.pid}`;
  const sender = `${USER}@${senderDomain}`;
  const good = `${USER}@${peerDomain}`;
  const bad = `nosuchuser@${peerDomain}`;
  const sent = senderSide.sendmail(['-f', sender, good, bad], `From: ${sender}\nSubject: ${token}\n\nbody of ${token}\n`);
  assert.equal(sent.status, 0, sent.stderr);
  const tag = 'postfix-interop/smtp';
  const bounced = await waitForLine(() => senderSide.maillog(), new RegExp(`${tag}\\[\\d+\\]: (\\w+): to=<${escape(bad)}>, relay=.*status=bounced`), 'the refused recipient');
  const id = bounced[1]!;
  await waitForLine(() => senderSide.maillog(), new RegExp(`${tag}\\[\\d+\\]: ${id}: to=<${escape(good)}>, .*status=sent`), 'the accepted recipient');
  await waitFor(() => messageWith(mailbox(senderSide.mailDirectory), `Subject: ${token}`) !== undefined
    && messageWith(mailbox(senderSide.mailDirectory), 'Undelivered Mail Returned to Sender') !== undefined, DELIVERY_WAIT_MS);
  const lines = senderSide.maillog().filter((line) => line.includes(`/smtp[`) && line.includes(` ${id}: to=<`))
    .map((line) => deliveryShape(line, peerAddress, peerPort, peerDomain)).sort();
  const dsn = messages(mailbox(senderSide.mailDirectory)).filter((message) => message.startsWith('From MAILER-DAEMON ') && message.includes(token)).at(-1) ?? '';
  return { lines, dsn };
}

test('a recipient refused at RCPT both ways: the same reply, the same bounced line, a DSN to the sender', { skip }, async () => {
  const toMtalab = await mixedRecipients('real-to-mtalab');
  const toReal = await mixedRecipients('mtalab-to-real');
  console.log(`real -> mtalab:\n  ${toMtalab.lines.join('\n  ')}\nmtalab -> real:\n  ${toReal.lines.join('\n  ')}`);
  assert.deepEqual(toReal.lines, toMtalab.lines, 'mtalab smtp + real smtpd logs what real smtp + mtalab smtpd logs');
  assert.equal(toMtalab.lines.length, 2);
  assert.match(toMtalab.lines[1]!, /^to=<nosuchuser@DOMAIN>, relay=PEER, dsn=5\.1\.1, status=bounced \(host PEERHOST said: 550 5\.1\.1 <nosuchuser@DOMAIN>: Recipient address rejected: User unknown in local recipient table \(in reply to RCPT TO command\)\)$/);
  assert.equal(toMtalab.lines[0], 'to=<mtalabsmtp@DOMAIN>, relay=PEER, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ID)');
  for (const [dsn, domain] of [[toMtalab.dsn, MTALAB_DOMAIN], [toReal.dsn, REAL_DOMAIN]] as const) {
    assert.match(dsn, new RegExp(`\\nFinal-Recipient: rfc822; nosuchuser@${escape(domain)}\\n`));
    assert.match(dsn, /\nAction: failed\nStatus: 5\.1\.1\n/);
    assert.match(dsn, /\nDiagnostic-Code: smtp; 550 5\.1\.1 <nosuchuser@[\w.]+>: Recipient address\n {4}rejected: User unknown in local recipient table\n/);
  }
});
