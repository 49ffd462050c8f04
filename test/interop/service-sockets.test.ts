// master's socket files and the pids after a reload, on a private real Postfix 3.7.11 and
// on a sim host with the same master.cf: the names under public/ and private/, their type,
// mode and owner as `ls -l` shows them (srw-rw-rw- postfix postfix), still there after
// stop; and after `postfix reload` master's pid kept, pickup's, qmgr's, cleanup's and
// local's new. The real instance is test/interop/real-instance.ts's (own directory, no
// inet listener, stopped by pid).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE_MASTER_CF, withRealInstance } from './real-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { createPipelineHost } from '../pipeline/harness.ts';
import { modeString } from '../../engine/shell/builtins/ls.ts';

const RELOADED = ['pickup', 'qmgr', 'cleanup', 'local'] as const;

/** "public/NAME srw-rw-rw-" per socket, sorted. */
function realSockets(queueDirectory: string): string[] {
  const text = execFileSync('stat', ['-c', '%n %A %U:%G', ...['public', 'private'].flatMap((area) => {
    return execFileSync('ls', [`${queueDirectory}/${area}`], { encoding: 'utf8' }).split('\n').filter(Boolean).map((name) => `${queueDirectory}/${area}/${name}`);
  })], { encoding: 'utf8' });
  return text.split('\n').filter(Boolean).map((line) => line.slice(queueDirectory.length + 1)).sort();
}

function pidsOf(lines: readonly string[], program: string): string[] {
  return [...new Set(lines.flatMap((line) => {
    const match = new RegExp(`/${program}\\[(\\d+)\\]: `).exec(line);
    return match === null ? [] : [match[1]!];
  }))];
}

test('socket files and pids after reload: real Postfix and the sim master agree', { skip: !hasRealCommand('postfix') }, async () => {
  const real = await withRealInstance({}, async (instance) => {
    const atStart = realSockets(instance.queueDirectory);
    instance.sendmail(['root'], 'Subject: one\n\nbody\n');
    await instance.waitForQueue();
    const before = instance.maillog();
    instance.command(['postfix', '-c', instance.configDirectory, 'reload']);
    instance.sendmail(['root'], 'Subject: two\n\nbody\n');
    await instance.waitForQueue();
    const after = instance.maillog().slice(before.length);
    await instance.stop();
    return { atStart, afterStop: realSockets(instance.queueDirectory), before, after };
  });
  assert.deepEqual(real.afterStop, real.atStart, 'Postfix leaves its sockets at stop');

  const host = await createPipelineHost({ masterCf: BASE_MASTER_CF });
  const fs = host.platform.fs;
  const simSockets = async (): Promise<string[]> => {
    const found: string[] = [];
    for (const area of ['public', 'private']) {
      for (const name of await fs.readdir(`/var/spool/postfix/${area}`)) {
        const stat = await fs.lstat(`/var/spool/postfix/${area}/${name}`);
        const owner = stat.uid === 102 && stat.gid === 104 ? 'postfix:postfix' : `${stat.uid}:${stat.gid}`;
        found.push(`${area}/${name} ${modeString(stat)} ${owner}`);
      }
    }
    return found.sort();
  };
  assert.deepEqual(await simSockets(), real.atStart);
  await host.sendmail(['root'], 'Subject: one\n\nbody\n');
  const before = await host.maillog();
  await host.command(['postfix', 'reload']);
  await host.sendmail(['root'], 'Subject: two\n\nbody\n');
  const after = (await host.maillog()).slice(before.length);
  await host.stop();
  assert.deepEqual(await simSockets(), real.atStart, 'the sim leaves them too');

  for (const [side, lines] of [['real', real], ['sim', { before, after }]] as const) {
    assert.deepEqual(pidsOf(lines.after, 'master'), pidsOf(lines.before, 'master'), `${side}: master keeps its pid`);
    for (const program of RELOADED) {
      const was = pidsOf(lines.before, program);
      const now = pidsOf(lines.after, program);
      assert.equal(was.length, 1, `${side} ${program} before: ${lines.before.join('\n')}`);
      assert.equal(now.length, 1, `${side} ${program} after: ${lines.after.join('\n')}`);
      assert.notEqual(now[0], was[0], `${side}: ${program} has a new pid after the reload`);
    }
  }
});
