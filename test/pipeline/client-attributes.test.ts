// The SMTP client's attributes travel with the message through delivery: qmgr reads the
// original client's name, address, port, protocol and HELO name from the queue file and
// hands them to the delivery agent, so pipe(8) expands ${client_port}, ${client_protocol},
// ${client_helo} and ${client_address}; local(8) forwarding (.forward) writes the client
// attributes Postfix's forward_open() passes on into the new queue file (postcat shows them).
// Also qmgr's reading of those attributes from a queue file (log_* against client_*).
// Runs a ref1-like sim host (test/unit/smtpd/chat.ts) with an SMTP client on 127.0.0.1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatClient, mainCfWith, SMTPD_MASTER_CF } from '../unit/smtpd/chat.ts';
import { createPipelineHost, type PipelineHost } from './harness.ts';
import { programs as registered } from '../../engine/master/programs.ts';
import type { ServiceProgram } from '../../engine/master/contracts.ts';
import { pipeProgram } from '../../engine/pipe/service.ts';
import { loadMessage, type DeliveryClientAttributes } from '../../engine/qmgr/message.ts';
import { writeQueueFile } from '../../engine/global/queue/queue-file.ts';
import { createSimPlatform, Scheduler } from '../../engine/platform/sim/index.ts';

const programs: Record<string, ServiceProgram> = { ...registered, pipe: pipeProgram };
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** One message over SMTP; its queue id and the client's port as smtpd logged it. */
async function sendOverSmtp(host: PipelineHost, recipient: string): Promise<{ queueId: string; clientPort: number }> {
  const client = await ChatClient.connect(host);
  await client.reply();
  const send = async (line: string): Promise<void> => {
    client.send(encode(`${line}\r\n`));
    await client.reply();
  };
  await send('EHLO client.remote.test');
  await send('MAIL FROM:<sender@remote.test>');
  await send(`RCPT TO:<${recipient}>`);
  await send('DATA');
  await send('Subject: attributes\r\n\r\nbody\r\n.');
  await send('QUIT');
  client.close();
  await host.run({ quietMs: 5000 });
  const queued = client.transcript.find((line) => line.startsWith('S: 250 2.0.0 Ok: queued as '));
  assert.ok(queued !== undefined, client.transcript.join('\n'));
  const connect = host.events.find((event) => event.kind === 'smtpd.connect');
  assert.ok(connect !== undefined && connect.kind === 'smtpd.connect');
  return { queueId: queued.slice('S: 250 2.0.0 Ok: queued as '.length), clientPort: connect.clientPort };
}

test('pipe expands ${client_port}, ${client_protocol}, ${client_helo} and ${client_address} of an SMTP message', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: mainCfWith({ transport_maps: 'texthash:/etc/postfix/transport' }),
    masterCf: `${SMTPD_MASTER_CF}attrs     unix  -       n       n       -       -       pipe
  user=alice argv=/bin/sh -c { echo \${client_port} \${client_protocol} \${client_helo} \${client_address} \${client_hostname} >/srv/attributes }
`,
    files: { '/etc/hosts': '127.0.0.1 localhost\n', '/etc/postfix/transport': 'piped.test attrs:\n' },
    start: false,
  });
  await host.platform.fs.mkdir('/srv', { recursive: true, mode: 0o777 });
  await host.platform.fs.chmod('/srv', 0o777);
  await host.start();
  const { clientPort } = await sendOverSmtp(host, 'someone@piped.test');
  const log = await host.maillog();
  assert.ok(log.some((line) => line.includes('to=<someone@piped.test>, relay=attrs') && line.includes('status=sent')), log.join('\n'));
  assert.ok(clientPort > 0);
  assert.equal(await host.readFile('/srv/attributes'), `${clientPort} ESMTP client.remote.test 127.0.0.1 localhost\n`);
  await host.stop();
});

test('local exports the client\'s name, address, HELO and protocol to a command (command.c\'s CLIENT_* variables)', async () => {
  const host = await createPipelineHost({
    programs,
    mainCf: mainCfWith({}),
    masterCf: SMTPD_MASTER_CF,
    files: {
      '/etc/hosts': '127.0.0.1 localhost\n',
      '/home/alice/.forward': '"|cat >>/srv/$CLIENT_HOSTNAME,$CLIENT_ADDRESS,$CLIENT_HELO,$CLIENT_PROTOCOL"\n',
    },
    start: false,
  });
  await host.platform.fs.chmod('/home/alice/.forward', 0o644);
  await host.platform.fs.chown?.('/home/alice/.forward', 1001, 1001);
  await host.platform.fs.mkdir('/srv', { recursive: true, mode: 0o777 });
  await host.platform.fs.chmod('/srv', 0o777);
  await host.start();
  await sendOverSmtp(host, 'alice@example.com');
  const log = await host.maillog();
  assert.ok(log.some((line) => line.includes('to=<alice@example.com>') && line.includes('status=sent (delivered to command')), log.join('\n'));
  // The built-in runner expands $NAME in the command, so the file's name shows the values.
  assert.deepEqual(await host.platform.fs.readdir('/srv'), ['localhost,127.0.0.1,client.remote.test,ESMTP']);
  await host.stop();
});

test('a .forward\'ed SMTP message carries the client attributes Postfix\'s local passes on', async () => {
  const host = await createPipelineHost({
    programs,
    // No client gets the local rewriting context: the original is queued with "remote",
    // which only the delivery request can carry to the forwarded copy (local's own is "local").
    mainCf: mainCfWith({ defer_transports: 'smtp', local_header_rewrite_clients: '' }),
    masterCf: SMTPD_MASTER_CF,
    files: { '/etc/hosts': '127.0.0.1 localhost\n', '/home/alice/.forward': 'friend@elsewhere.test\n' },
  });
  await host.platform.fs.chmod('/home/alice/.forward', 0o644);
  await host.platform.fs.chown?.('/home/alice/.forward', 1001, 1001);
  const { queueId } = await sendOverSmtp(host, 'alice@example.com');
  const log = await host.maillog();
  const forwarded = log.map((line) => /to=<alice@example\.com>.*status=sent \(forwarded as (\w+)\)/.exec(line)?.[1]).find((id) => id !== undefined);
  assert.ok(forwarded !== undefined, log.join('\n'));
  assert.notEqual(forwarded, queueId);
  assert.deepEqual(await host.queueFiles('deferred'), [forwarded]);
  const postcat = await host.command(['postcat', '-e', '-q', forwarded]);
  assert.equal(postcat.exitCode, 0, postcat.stderr);
  const attributes = postcat.stdout.split('\n').filter((line) => /^named_attribute: /.test(line));
  assert.deepEqual(attributes.filter((line) => /(log_|sasl_|rewrite_context)/.test(line)), [
    'named_attribute: log_client_name=localhost',
    'named_attribute: log_client_address=127.0.0.1',
    'named_attribute: log_protocol_name=ESMTP',
    'named_attribute: log_helo_name=client.remote.test',
    `named_attribute: log_ident=${queueId}`,
    'named_attribute: rewrite_context=remote',
  ]);
  await host.stop();
});

/** A queue file with these envelope attributes, loaded as qmgr loads it. */
async function loadedClient(attributes: Array<[string, string]>): Promise<{ client: DeliveryClientAttributes; warnings: string[] }> {
  const platform = createSimPlatform({ hostName: 'mail', seed: 1, scheduler: new Scheduler() });
  const fs = platform.fs;
  await fs.mkdir('/q', { recursive: true });
  const handle = await fs.open('/q/ABC', 'wx', 0o600);
  await writeQueueFile(handle, {
    arrivalTime: { seconds: 1_700_000_000, microseconds: 0 }, createTimeSeconds: 1_700_000_000,
    envelope: [{ kind: 'sender', address: 'a@example.test' }, ...attributes.map(([name, value]) => ({ kind: 'attribute' as const, name, value }))],
    recipients: [{ address: 'b@example.test' }], contentLines: [new TextEncoder().encode('x')],
  });
  await handle.close();
  const reading = await fs.open('/q/ABC', 'r');
  try {
    const result = await loadMessage(reading, '/q/ABC', 'ABC');
    assert.equal(result.kind, 'loaded');
    return { client: result.kind === 'loaded' ? result.message.client : {}, warnings: result.warnings };
  } finally {
    await reading.close();
  }
}

test('qmgr reads client attributes as qmgr_message_read: log_* replace, client_* only before the first log_*', async () => {
  const { client } = await loadedClient([
    ['client_name', 'actual.test'], ['client_port', '4000'], ['log_client_name', 'original.test'],
    ['helo_name', 'ignored.test'], ['log_protocol_name', 'ESMTP'], ['protocol_name', 'SMTP'],
  ]);
  assert.deepEqual(client, { clientName: 'original.test', clientPort: '4000', clientProtocol: 'ESMTP' });
  const actualOnly = await loadedClient([['client_address', '192.0.2.9'], ['helo_name', 'h.test'], ['protocol_name', 'SMTP']]);
  assert.deepEqual(actualOnly.client, { clientAddress: '192.0.2.9', clientHelo: 'h.test', clientProtocol: 'SMTP' });
});

test('qmgr keeps the first sasl_*, log_ident and rewrite_context and warns about a repeat', async () => {
  const { client, warnings } = await loadedClient([
    ['sasl_method', 'PLAIN'], ['sasl_username', 'alice'], ['log_ident', 'ORIG1'], ['rewrite_context', 'remote'], ['sasl_method', 'LOGIN'],
  ]);
  assert.deepEqual(client, { saslMethod: 'PLAIN', saslUsername: 'alice', logIdent: 'ORIG1', rewriteContext: 'remote' });
  assert.deepEqual(warnings, ['ABC: ignoring multiple sasl_method attribute: LOGIN']);
});
