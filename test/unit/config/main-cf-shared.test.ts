// readMainConfig's shared expansions: MainConfigs read from the same main.cf bytes on the
// same machine share expanded values, typed values and lists, but a value that depends on
// the process id stays each process's own, a warning is printed by every configuration
// that expands the value, -o overrides and changed bytes give their own values. Trusts the
// sim platform's file system.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimPlatform, Scheduler } from '../../../engine/platform/sim/index.ts';
import { createHost } from '../../../engine/global/host.ts';
import { readMainConfig } from '../../../engine/global/config/main-cf.ts';
import { createReporter } from '../../../engine/global/msg.ts';
import { CapturedOutput } from '../../../engine/admin/stdio.ts';

const DIRECTORY = '/etc/postfix';

async function world(mainCf: string) {
  const platform = createSimPlatform({ hostName: 'mail', seed: 3, scheduler: new Scheduler({ startMs: 0 }) });
  const host = createHost({ name: 'mail', platform });
  await platform.fs.mkdir(DIRECTORY, { recursive: true });
  await platform.fs.writeFile(`${DIRECTORY}/main.cf`, mainCf);
  const stderr = new CapturedOutput();
  const read = (pid: number, overrides?: ReadonlyMap<string, string>) => readMainConfig({
    fs: platform.fs, directory: DIRECTORY, host, overrides, machine: { pid, processName: 'sendmail' },
    reporter: createReporter({ program: 'sendmail', host, pid, stderr }),
  });
  return { fs: platform.fs, stderr, read };
}

test('a value built from $process_id is each configuration\'s own', async () => {
  const { read } = await world('tag = p$process_id\nmyhostname = mail.example.com\nnested = $tag-x\nline_length_limit = 3000\n');
  const first = await read(101);
  const second = await read(202);
  assert.equal(first.get('tag'), 'p101');
  assert.equal(second.get('tag'), 'p202');
  assert.equal(first.get('nested'), 'p101-x');
  assert.equal(second.get('nested'), 'p202-x');
  assert.equal(second.get('process_id'), '202');
  assert.equal(first.get('myhostname'), 'mail.example.com');
  assert.equal(second.get('myhostname'), 'mail.example.com');
  assert.equal(first.getInt('line_length_limit'), 3000);
  assert.equal(second.getInt('line_length_limit'), 3000);
  assert.deepEqual(second.getList('nested'), ['p202-x']);
  assert.deepEqual(first.getList('nested'), ['p101-x']);
});

test('overrides and changed bytes give their own values', async () => {
  const { fs, read } = await world('line_length_limit = 3000\nmydomain = one.example\n');
  assert.equal((await read(1)).getInt('line_length_limit'), 3000);
  assert.equal((await read(2, new Map([['line_length_limit', '4000']]))).getInt('line_length_limit'), 4000);
  assert.equal((await read(3)).getInt('line_length_limit'), 3000);
  await fs.writeFile(`${DIRECTORY}/main.cf`, 'line_length_limit = 5000\nmydomain = two.example\n');
  const changed = await read(4);
  assert.equal(changed.getInt('line_length_limit'), 5000);
  assert.equal(changed.get('myorigin'), 'mail.two.example');
  const list = changed.getList('mydestination');
  list.push('mutated');
  assert.equal((await read(5)).getList('mydestination').includes('mutated'), false);
});

test('a value whose expansion fails is fatal in every configuration that asks for it', async () => {
  const { stderr, read } = await world('odd = ${{abc} <=level {3.6} ? {old} : {new}}\nfine = yes\n');
  for (const pid of [1, 2]) {
    const config = await read(pid);
    assert.equal(config.get('fine'), 'yes');
    assert.throws(() => config.get('odd'), /macro processing error/);
  }
  assert.equal(stderr.text().split('malformed compatibility level syntax').length - 1, 2);
});
