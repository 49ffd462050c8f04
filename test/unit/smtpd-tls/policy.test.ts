// check_policy_service against a tiny policy server on the sim network: the request
// attributes Postfix sends, actions used as access-table results (REJECT with text, DUNNO,
// OK), one connection reused for several requests, and an unreachable server falling
// back to smtpd_policy_service_default_action with the warning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64, SimClient, securityHost, smtpdLines } from './client.ts';
import type { PipelineHost } from '../../pipeline/harness.ts';

const POLICY_PORT = 9998;

/** A policy server: rejects recipients at blocked.test, permits the rest with DUNNO. */
async function startPolicyServer(host: PipelineHost): Promise<{ requests: Map<string, string>[]; connections: number }> {
  const state = { requests: [] as Map<string, string>[], connections: 0 };
  await host.platform.net.listen('127.0.0.1', POLICY_PORT, (connection) => {
    state.connections++;
    let buffer = '';
    connection.onData((chunk) => {
      buffer += new TextDecoder().decode(chunk);
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const request = new Map(buffer.slice(0, end).split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]));
        buffer = buffer.slice(end + 2);
        state.requests.push(request);
        const recipient = request.get('recipient') ?? '';
        const action = recipient.endsWith('@blocked.test') ? 'REJECT policy says no' : request.get('sasl_username') === 'alice' ? 'OK' : 'DUNNO';
        connection.write(new TextEncoder().encode(`action=${action}\n\n`));
      }
    });
    connection.onClose(() => undefined);
  });
  return state;
}

test('check_policy_service: attributes, REJECT text, DUNNO, one reused connection', async () => {
  const host = await securityHost({
    mynetworks: '192.0.2.0/24',
    smtpd_sasl_auth_enable: 'yes', mtalab_sasl_password_maps: 'texthash:/etc/postfix/sasl_users',
    smtpd_recipient_restrictions: `check_policy_service inet:127.0.0.1:${POLICY_PORT}, permit_mynetworks, reject_unauth_destination`,
    relay_domains: 'blocked.test',
  });
  const server = await startPolicyServer(host);
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  await client.reply();
  assert.equal(await client.command('MAIL FROM:<sender@remote.test> SIZE=1234'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<someone@blocked.test>'), '554 5.7.1 <someone@blocked.test>: Recipient address rejected: policy says no');
  assert.equal(await client.command('RCPT TO:<alice@example.com>'), '250 2.1.5 Ok');
  assert.equal(await client.command('RSET'), '250 2.0.0 Ok');
  assert.equal(await client.command(`AUTH PLAIN ${base64('\0alice\0wonderland')}`), '235 2.7.0 Authentication successful');
  assert.equal(await client.command('MAIL FROM:<alice@example.com>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<friend@elsewhere.test>'), '250 2.1.5 Ok');
  await client.quit();
  assert.equal(server.requests.length, 3);
  assert.equal(server.connections, 1);
  const first = server.requests[0]!;
  assert.deepEqual([...first.keys()].slice(0, 6), ['request', 'protocol_state', 'protocol_name', 'client_address', 'client_name', 'client_port']);
  assert.equal(first.get('request'), 'smtpd_access_policy');
  assert.equal(first.get('protocol_state'), 'RCPT');
  assert.equal(first.get('protocol_name'), 'ESMTP');
  assert.equal(first.get('helo_name'), 'client.example');
  assert.equal(first.get('sender'), 'sender@remote.test');
  assert.equal(first.get('recipient'), 'someone@blocked.test');
  assert.equal(first.get('size'), '1234');
  assert.equal(first.get('sasl_username'), '');
  assert.equal(server.requests[2]!.get('sasl_username'), 'alice');
  assert.equal(server.requests[2]!.get('sasl_method'), 'PLAIN');
  const lines = await smtpdLines(host);
  assert.ok(lines.includes('NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 554 5.7.1 <someone@blocked.test>: Recipient address rejected: policy says no; from=<sender@remote.test> to=<someone@blocked.test> proto=ESMTP helo=<client.example>'), lines.join('\n'));
  await host.stop();
});

test('an unreachable policy server: smtpd_policy_service_default_action, and the warning', async () => {
  const host = await securityHost({ smtpd_recipient_restrictions: `check_policy_service inet:127.0.0.1:${POLICY_PORT}, permit_mynetworks, reject_unauth_destination` });
  const client = await SimClient.connect(host);
  await client.reply();
  client.send('EHLO client.example');
  await client.reply();
  assert.equal(await client.command('MAIL FROM:<sender@remote.test>'), '250 2.1.0 Ok');
  assert.equal(await client.command('RCPT TO:<alice@example.com>'), '451 4.3.5 <alice@example.com>: Recipient address rejected: Server configuration problem');
  await client.quit();
  const lines = await smtpdLines(host);
  assert.ok(lines.includes(`warning: problem talking to server inet:127.0.0.1:${POLICY_PORT}: Connection refused`), lines.join('\n'));
  await host.stop();
});
