// The browser stand-ins for Node built-ins (ui/src/shims/) that memfs runs on in the page:
// each is compared with the real Node module on the same inputs, so the simulated file
// system behaves in the browser as it does in the Node tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer as NodeBuffer } from 'node:buffer';
import nodePath from 'node:path';
import { Buffer as ShimBuffer } from '../../../ui/src/shims/buffer.ts';
import * as shimPath from '../../../ui/src/shims/path.ts';
import { EventEmitter } from '../../../ui/src/shims/events.ts';

const texts = ['', 'postconf', 'héllo wörld', '日本語', '🙂 mail', 'a\u0000b\r\n'];
const encodings = ['utf8', 'latin1', 'ascii', 'hex', 'base64', 'base64url', 'utf16le'] as const;
const oddBytes = [new Uint8Array([0xff, 0xfe, 0x80, 0x41]), new Uint8Array([0xc3]), new Uint8Array([0xe2, 0x82])];

test('Buffer.from and toString agree with Node for every encoding', () => {
  for (const text of texts) {
    for (const encoding of encodings) {
      const source = encoding === 'utf8' || encoding === 'utf16le' || encoding === 'latin1'
        ? text : NodeBuffer.from(text).toString(encoding);
      const expected = NodeBuffer.from(source, encoding);
      const actual = ShimBuffer.from(source, encoding);
      assert.deepEqual([...actual], [...expected], `${encoding} ${JSON.stringify(source)}`);
      assert.equal(actual.toString(encoding), expected.toString(encoding));
      assert.equal(ShimBuffer.byteLength(source, encoding), NodeBuffer.byteLength(source, encoding));
    }
  }
  for (const bytes of oddBytes) {
    for (const encoding of encodings) {
      assert.equal(ShimBuffer.from(bytes).toString(encoding), NodeBuffer.from(bytes).toString(encoding));
    }
  }
});

test('Buffer copy, write, slice, concat and alloc behave as Node', () => {
  const source = ShimBuffer.from('abcdef');
  const target = ShimBuffer.alloc(4);
  const nodeTarget = NodeBuffer.alloc(4);
  assert.equal(source.copy(target, 1, 2, 9), NodeBuffer.from('abcdef').copy(nodeTarget, 1, 2, 9));
  assert.deepEqual([...target], [...nodeTarget]);
  const slice = source.slice(1, 3);
  slice[0] = 0x5a;
  assert.equal(source.toString(), 'aZcdef', 'slice shares memory as in Node');
  assert.ok(ShimBuffer.isBuffer(slice));
  assert.equal(ShimBuffer.concat([ShimBuffer.from('ab'), new Uint8Array([0x63])]).toString(), 'abc');
  assert.equal(ShimBuffer.concat([ShimBuffer.from('abc')], 2).toString(), 'ab');
  assert.deepEqual([...ShimBuffer.alloc(5, 'ab')], [...NodeBuffer.alloc(5, 'ab')]);
  const written = ShimBuffer.alloc(3);
  assert.equal(written.write('héllo', 1), NodeBuffer.alloc(3).write('héllo', 1));
  assert.equal(new ShimBuffer('text').toString(), 'text');
  assert.ok(ShimBuffer.isEncoding('utf-8') && !ShimBuffer.isEncoding('klingon'));
  assert.equal(ShimBuffer.from('b').equals(ShimBuffer.from('b')), true);
});

test('path functions agree with node:path (POSIX)', () => {
  const paths = ['/', '/etc/postfix/main.cf', 'etc//postfix/', '/a/../../b', './x/./y', '', '..', '/a/b/', 'a/..'];
  for (const path of paths) {
    assert.equal(shimPath.normalize(path), nodePath.posix.normalize(path), `normalize ${path}`);
    assert.equal(shimPath.dirname(path), nodePath.posix.dirname(path), `dirname ${path}`);
    assert.equal(shimPath.basename(path), nodePath.posix.basename(path), `basename ${path}`);
    assert.equal(shimPath.extname(path), nodePath.posix.extname(path), `extname ${path}`);
  }
  assert.equal(shimPath.join('/etc', 'postfix', '../x'), nodePath.posix.join('/etc', 'postfix', '../x'));
  assert.equal(shimPath.resolve('/etc', 'postfix', 'main.cf'), '/etc/postfix/main.cf');
  assert.equal(shimPath.resolve('/etc', '/var', 'x/..'), '/var');
  assert.equal(shimPath.relative('/etc/postfix', '/etc/aliases'), nodePath.posix.relative('/etc/postfix', '/etc/aliases'));
  assert.equal(shimPath.basename('/x/main.cf', '.cf'), 'main');
});

test('EventEmitter delivers, once, and removes listeners', () => {
  const emitter = new EventEmitter();
  const seen: unknown[] = [];
  const listener = (value: unknown): void => { seen.push(value); };
  emitter.on('change', listener);
  emitter.once('change', (value) => seen.push(`once ${String(value)}`));
  assert.equal(emitter.emit('change', 1), true);
  emitter.emit('change', 2);
  emitter.off('change', listener);
  assert.equal(emitter.emit('change', 3), false);
  assert.deepEqual(seen, [1, 'once 1', 2]);
  assert.throws(() => emitter.emit('error', new Error('boom')), /boom/);
});
