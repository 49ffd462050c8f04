// The simulated master's socket files, seen from a sim host's shell as a postmaster sees
// them on Postfix 3.7.11: every unix service of master.cf has one under public/ (private =
// n) or private/, `srw-rw-rw- 1 postfix postfix`; they stay after `postfix stop`, so
// mailq then says "Connection refused"; with the file removed it says "No such file or
// directory"; a socket cannot be read or written as a file (ENXIO). Real Postfix's listing
// of the same master.cf: public/ cleanup flush pickup postlog qmgr showq; private/ holds
// the other unix services (test/interop/service-sockets.test.ts compares them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorldShell } from './world.ts';

const LIST = /^srw-rw-rw- 1 postfix postfix 0 .{12} (\S+)$/;

function socketNames(listing: string): string[] {
  return listing.split('\n').filter((line) => line.startsWith('s')).map((line) => {
    const match = LIST.exec(line);
    assert.ok(match, `not a socket line as Postfix's ls shows it: ${line}`);
    return match[1]!;
  });
}

test('socket files: made at start, left at stop; mailq says Connection refused, then No such file', async () => {
  const shell = await startWorldShell();
  const listing = await shell.run('ls -l /var/spool/postfix/public');
  const names = socketNames(listing);
  for (const name of ['cleanup', 'flush', 'pickup', 'qmgr', 'showq']) assert.ok(names.includes(name), `public/${name}: ${listing}`);
  const privateNames = socketNames(await shell.run('ls -l /var/spool/postfix/private'));
  for (const name of ['bounce', 'defer', 'local', 'rewrite', 'smtp']) assert.ok(privateNames.includes(name), `private/${name}: ${privateNames}`);
  assert.ok(!privateNames.includes('showq') && !names.includes('bounce'), 'each socket in its own directory');

  assert.equal(await shell.run('mailq'), 'Mail queue is empty\n');
  await shell.run('postfix stop');
  assert.deepEqual(socketNames(await shell.run('ls -l /var/spool/postfix/public')), names, 'the sockets stay at stop');
  assert.equal(await shell.run('mailq'),
    'postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: Connection refused)\nMail queue is empty\n');
  assert.equal(await shell.run('postqueue -f; echo $?'), 'postqueue: fatal: Cannot flush mail queue - mail system is down\n69\n');

  assert.equal(await shell.run('cat /var/spool/postfix/public/showq; echo $?'), 'cat: /var/spool/postfix/public/showq: No such device or address\n1\n');
  await shell.run('rm /var/spool/postfix/public/showq');
  assert.match(await shell.run('mailq'), /\(Connect to the Postfix showq service: No such file or directory\)\n/);

  // A new start makes the socket again.
  await shell.run('postfix start');
  assert.ok(socketNames(await shell.run('ls -l /var/spool/postfix/public')).includes('showq'));
  assert.equal(await shell.run('mailq'), 'Mail queue is empty\n');
});
