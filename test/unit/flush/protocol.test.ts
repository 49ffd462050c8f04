// flush(8)'s public/flush wire format (engine/flush/protocol.ts): the bytes Postfix 3.7.11's
// server and clients exchange (captured from a private real instance), strict decoding of
// requests (bad, unknown, master's short wakeup) and of answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeFlushResponse, decodeFlushServerInput, encodeFlushGreeting, encodeFlushRequest, encodeFlushStatus,
} from '../../../engine/flush/protocol.ts';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);

test('the bytes are Postfix 3.7\'s: announcement, request, status', () => {
  assert.equal(text(encodeFlushGreeting()), 'protocol\0queue_flush_protocol\0\0');
  assert.equal(text(encodeFlushRequest({ request: 'send_site', site: 'remote.test' })), 'request\0send_site\0site\0remote.test\0\0');
  assert.equal(text(encodeFlushRequest({ request: 'add', site: 's', queueId: 'ABC123' })), 'request\0add\0site\0s\0queue_id\0ABC123\0\0');
  assert.equal(text(encodeFlushStatus('deny')), 'status\x004\0\0');
  assert.equal(text(encodeFlushStatus('fail')), 'status\0-1\0\0');
});

test('the server decodes requests strictly', () => {
  assert.deepEqual(decodeFlushServerInput(bytes('request\0send_site\0site\0x.test\0\0'), false),
    { kind: 'request', request: { request: 'send_site', site: 'x.test' } });
  assert.deepEqual(decodeFlushServerInput(bytes('request\0send_site\0si'), false), { kind: 'incomplete' });
  assert.deepEqual(decodeFlushServerInput(bytes('bogus\0x\0\0'), false),
    { kind: 'bad', warning: 'unexpected attribute bogus from flush socket (expecting: request)' });
  assert.deepEqual(decodeFlushServerInput(bytes('request\0nonsense\0\0'), false), { kind: 'unknown' });
  assert.deepEqual(decodeFlushServerInput(bytes('request\0send_file\0site\0x\0\0'), false),
    { kind: 'bad', warning: 'unexpected attribute site from flush socket (expecting: queue_id)' });
  assert.deepEqual(decodeFlushServerInput(bytes('W\0'), false), { kind: 'trigger', text: 'W' });
  assert.deepEqual(decodeFlushServerInput(bytes('request\0'), true), { kind: 'bad' });
});

test('the client reads the announcement and the status; anything else is a failure', () => {
  const greeting = text(encodeFlushGreeting());
  assert.equal(decodeFlushResponse(bytes(`${greeting}status\x000\0\0`), false), 'ok');
  assert.equal(decodeFlushResponse(bytes(`${greeting}status\x003\0\0`), false), 'bad');
  assert.equal(decodeFlushResponse(bytes(`${greeting}status\x004\0\0`), false), 'deny');
  assert.equal(decodeFlushResponse(bytes(greeting), false), 'incomplete');
  assert.equal(decodeFlushResponse(bytes(greeting), true), 'fail', 'no answer to an unknown request');
  assert.equal(decodeFlushResponse(bytes('protocol\0showq\0\0status\x000\0\0'), false), 'fail');
});
