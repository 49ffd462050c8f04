// The CLI's adapters between the process's streams and the admin commands' InputStream and
// OutputStream: lines and bytes pass unchanged, reading is lazy, release() lets go of stdin.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { processInput, processOutput } from '../../../engine/cli/stdio.ts';

function streamOf(chunks: Array<string | Uint8Array>): NodeJS.ReadStream {
  const stream = new PassThrough();
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return stream as unknown as NodeJS.ReadStream;
}

test('readLine splits on LF across chunk boundaries and returns a last line without LF, then null', async () => {
  const input = processInput(streamOf(['al', 'pha\nbe', 'ta\n\ngam', 'ma']));
  const lines: Array<string | null> = [];
  for (let index = 0; index < 6; index++) lines.push(await input.readLine());
  assert.deepEqual(lines, ['alpha', 'beta', '', 'gamma', null, null]);
  assert.equal(input.isTty, false);
});

test('readAll returns the rest as bytes, unchanged, after lines already read', async () => {
  const odd = new Uint8Array([0x80, 0xff, 0x00, 0x0d, 0x0a, 0x41]);
  const input = processInput(streamOf(['first\n', odd]));
  assert.equal(await input.readLine(), 'first');
  assert.deepEqual([...(await input.readAll())], [...odd]);
  assert.equal((await input.readAll()).length, 0);
});

test('release() stops reading a stream that was never finished', async () => {
  const stream = new PassThrough();
  stream.write('one\ntwo\n');
  const input = processInput(stream as unknown as NodeJS.ReadStream);
  assert.equal(await input.readLine(), 'one');
  input.release();
  assert.equal(stream.readableFlowing, false);
  stream.destroy();
});

test('processOutput writes strings and bytes and reports isTty', () => {
  const written: Array<string | Uint8Array> = [];
  const fake = { write: (data: string | Uint8Array) => { written.push(data); return true; }, isTTY: true } as unknown as NodeJS.WriteStream;
  const output = processOutput(fake);
  output.write('text');
  output.write(new Uint8Array([1, 2]));
  assert.equal(output.isTty, true);
  assert.deepEqual(written, ['text', new Uint8Array([1, 2])]);
});
