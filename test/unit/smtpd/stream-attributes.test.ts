// The envelope attributes smtpd sends to cleanup (engine/smtpd/stream-attributes.ts), for
// the cases the interop test (test/interop/smtpd-queue-file.test.ts) cannot reach without a
// SASL server or an IPv6 listener beside the real Postfix: a logged-in session (sasl_method
// and sasl_username ahead of sasl_sender, all before the DSN records), an IPv6 client
// (log_client_address with its "IPv6:" prefix, client_address without, address type 10),
// and no known server end ("unknown"). Also ORCPT=utf-8's uxtext decoding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, Transaction } from '../../../engine/smtpd/session.ts';
import { attributesAfterSender, attributesBeforeSender } from '../../../engine/smtpd/stream-attributes.ts';
import { uxtextDecode } from '../../../engine/smtpd/commands-mail.ts';

test('a logged-in session: log_ident, rewrite_context, sasl_method, sasl_username, sasl_sender, envelope_id, ret_flags', () => {
  const session = new Session({ name: 'client.example.test', reverseName: 'client.example.test', address: '192.0.2.7', port: 40001,
    nameStatus: 'ok', reverseNameStatus: 'ok', serverAddress: '192.0.2.1', serverPort: 587 }, 'test/1');
  session.saslMethod = 'PLAIN';
  session.saslUsername = 'alice';
  session.heloName = 'client.example.test';
  session.protocol = 'ESMTP';
  const transaction = new Transaction('alice@example.test');
  transaction.saslSender = 'alice@example.test';
  transaction.dsnEnvelopeId = 'id-1';
  transaction.dsnReturn = 'hdrs';
  assert.deepEqual(attributesBeforeSender(session, transaction, '4Q2B1C3D5E'), [
    ['log_ident', '4Q2B1C3D5E'], ['rewrite_context', 'remote'], ['sasl_method', 'PLAIN'], ['sasl_username', 'alice'],
    ['sasl_sender', 'alice@example.test'], ['envelope_id', 'id-1'], ['ret_flags', '2'],
  ]);
  assert.deepEqual(attributesAfterSender(session, transaction).map(([name, value]) => `${name}=${value}`), [
    'log_client_name=client.example.test', 'log_client_address=192.0.2.7', 'log_client_port=40001',
    'log_message_origin=client.example.test[192.0.2.7]', 'log_helo_name=client.example.test', 'log_protocol_name=ESMTP',
    'client_name=client.example.test', 'reverse_client_name=client.example.test', 'client_address=192.0.2.7',
    'client_port=40001', 'server_address=192.0.2.1', 'server_port=587', 'helo_name=client.example.test',
    'protocol_name=ESMTP', 'client_address_type=2',
  ]);
});

test('an IPv6 client without HELO and no known server end', () => {
  const session = new Session({ name: 'unknown', reverseName: 'unknown', address: '2001:db8::7', port: 50000,
    nameStatus: 'permanent', reverseNameStatus: 'permanent' }, 'test/2');
  const transaction = new Transaction('');
  transaction.encoding = '7bit';
  const attributes = new Map(attributesAfterSender(session, transaction));
  assert.equal(attributesAfterSender(session, transaction)[0]?.join('='), 'encoding=7bit');
  assert.equal(attributes.get('log_client_address'), 'IPv6:2001:db8::7');
  assert.equal(attributes.get('client_address'), '2001:db8::7');
  assert.equal(attributes.get('log_message_origin'), 'unknown[2001:db8::7]');
  assert.equal(attributes.get('client_address_type'), '10');
  assert.equal(attributes.get('server_address'), 'unknown');
  assert.equal(attributes.get('server_port'), 'unknown');
  assert.equal(attributes.has('log_helo_name'), false);
  assert.equal(attributes.has('helo_name'), false);
  assert.equal(attributes.get('protocol_name'), 'SMTP');
});

test('uxtext: \\x{HEX} escapes become code points, other text is literal, bad escapes fail', () => {
  assert.equal(uxtextDecode('b\\x{E9}b@example.test'), 'b\u00e9b@example.test');
  assert.equal(uxtextDecode('\\x{1F600}+2B'), '\u{1F600}+2B');
  assert.equal(uxtextDecode('a\\b'), 'a\\b');
  assert.equal(uxtextDecode('\\x{110000}'), undefined);
  assert.equal(uxtextDecode('\\x{zz}'), undefined);
  assert.equal(uxtextDecode('\\x{E9'), undefined);
});
