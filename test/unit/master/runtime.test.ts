// master runtime on a sim host: start (queue directories, pid file, "daemon started"),
// services started from master.cf with their -o overrides and pids, skipped programs,
// triggers and master.cf wakeups through the virtual clock, reload and stop; a service's
// main.cf warnings under its own name when its process first acts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipelineHost } from '../../pipeline/harness.ts';
import type { RunningService, ServiceContext, ServiceProgram, TriggerReason } from '../../../engine/master/contracts.ts';
import { QUEUE_SUBDIRECTORIES } from '../../../engine/master/index.ts';

/** A test double: records its wakes and the configuration it saw. */
function recordingProgram(program: string) {
  const started: ServiceContext[] = [];
  const wakes: { service: string; reason: TriggerReason; atMs: number }[] = [];
  let stops = 0;
  const definition: ServiceProgram = {
    program,
    async start(context) {
      started.push(context);
      const running: RunningService = {
        async stop() { stops++; },
        wake(reason) { wakes.push({ service: context.serviceName, reason, atMs: context.host.platform.clock.nowMs() }); },
      };
      return running;
    },
  };
  return { definition, started, wakes, get stops() { return stops; } };
}

const MASTER_CF = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
  -o syslog_name=postfix/special -o message_size_limit=1000
qmgr      unix  n       -       n       300     1       qmgr
flush     unix  n       -       n       1000?   0       flush
smtp      inet  n       -       n       -       -       smtpd
`;

async function makeHost() {
  const pickup = recordingProgram('pickup');
  const cleanup = recordingProgram('cleanup');
  const qmgr = recordingProgram('qmgr');
  const flush = recordingProgram('flush');
  const harness = await createPipelineHost({
    masterCf: MASTER_CF,
    programs: { pickup: pickup.definition, cleanup: cleanup.definition, qmgr: qmgr.definition, flush: flush.definition },
  });
  return { harness, pickup, cleanup, qmgr, flush };
}

test('start creates the queue directories and the pid file, logs "daemon started"', async () => {
  const { harness } = await makeHost();
  await harness.run();
  for (const { name } of QUEUE_SUBDIRECTORIES) assert.ok(await harness.exists(`/var/spool/postfix/${name}`), name);
  const pidText = await harness.readFile('/var/spool/postfix/pid/master.pid');
  assert.equal(pidText, `${String(harness.runtime!.pid).padStart(32, ' ')}\n`);
  const log = await harness.maillog();
  assert.match(log[0]!, /^Jan 01 00:00:00 mail postfix\/master\[\d+\]: daemon started -- version 3\.7\.11, configuration \/etc\/postfix$/);
  await harness.stop();
});

test('services get their own pid, program name and -o overrides; unknown programs are skipped', async () => {
  const { harness, cleanup, pickup } = await makeHost();
  const runtime = harness.runtime!;
  assert.deepEqual([...runtime.services().keys()].sort(), ['cleanup', 'flush', 'pickup', 'qmgr']);
  assert.deepEqual(runtime.skipped.map((entry) => entry.command), ['smtpd']);
  const context = cleanup.started[0]!;
  assert.equal(context.program, 'cleanup');
  assert.equal(context.config().get('message_size_limit'), '1000');
  assert.equal(context.config().get('syslog_name'), 'postfix/special');
  assert.equal(pickup.started[0]!.config().get('message_size_limit'), '10240000');
  assert.notEqual(context.pid, pickup.started[0]!.pid);
  context.trace({ kind: 'cleanup.message-id', header: 'message-id', messageId: '<x@y>', queueId: 'ABC' });
  pickup.started[0]!.trace({ kind: 'pickup.accepted', uid: 1002, sender: 'bob', queueId: 'ABC' });
  const log = await harness.maillog();
  assert.ok(log.includes(`Jan 01 00:00:00 mail postfix/special/cleanup[${context.pid}]: ABC: message-id=<x@y>`), log.join('\n'));
  assert.ok(log.includes(`Jan 01 00:00:00 mail postfix/pickup[${pickup.started[0]!.pid}]: ABC: uid=1002 from=<bob>`), log.join('\n'));
  await harness.stop();
});

test('wakeups: at once, then every master.cf interval; conditional ones only after a trigger', async () => {
  const { harness, pickup, qmgr, flush } = await makeHost();
  await harness.run({ forMs: 600_000 });
  const start = harness.scheduler.nowMs() - 600_000;
  assert.deepEqual(pickup.wakes.map((wake) => (wake.atMs - start) / 1000), [0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600]);
  assert.deepEqual(qmgr.wakes.map((wake) => (wake.atMs - start) / 1000), [0, 300, 600]);
  assert.equal(flush.wakes.length, 0);
  harness.runtime!.trigger('flush', 'flush-deferred');
  await harness.run({ forMs: 1_000_000 });
  assert.deepEqual(flush.wakes.map((wake) => wake.reason), ['flush-deferred', 'wakeup']);
  await harness.stop();
});

test('trigger wakes the named service asynchronously with its reason', async () => {
  const { harness, qmgr } = await makeHost();
  await harness.run();
  const before = qmgr.wakes.length;
  harness.runtime!.trigger('qmgr', 'scan-incoming');
  assert.equal(qmgr.wakes.length, before, 'not inside the caller');
  await harness.run();
  assert.deepEqual(qmgr.wakes.slice(before).map((wake) => wake.reason), ['scan-incoming']);
  harness.runtime!.trigger('nosuchservice');
  await harness.stop();
});

test('reload re-reads main.cf and hands services the new configuration', async () => {
  const { harness, pickup } = await makeHost();
  const context = pickup.started[0]!;
  assert.equal(context.config().get('delay_warning_time'), '0h');
  await harness.writeFile('/etc/postfix/main.cf', `${await harness.readFile('/etc/postfix/main.cf')}delay_warning_time = 4h\n`);
  await harness.runtime!.reload();
  assert.equal(context.config().get('delay_warning_time'), '4h');
  assert.equal(harness.runtime!.config().get('delay_warning_time'), '4h');
  const log = await harness.maillog();
  assert.match(log.at(-1)!, /postfix\/master\[\d+\]: reload -- version 3\.7\.11, configuration \/etc\/postfix$/);
  await harness.stop();
});

test('stop stops every service, logs "terminating on signal 15", removes the pid file', async () => {
  const { harness, pickup, cleanup, qmgr } = await makeHost();
  const runtime = harness.runtime!;
  await harness.stop();
  assert.equal(runtime.running, false);
  assert.equal(pickup.stops + cleanup.stops + qmgr.stops, 3);
  assert.equal(await harness.exists('/var/spool/postfix/pid/master.pid'), false);
  const log = await harness.readFile('/var/log/maillog');
  assert.match(log.trimEnd().split('\n').at(-1)!, /postfix\/master\[\d+\]: terminating on signal 15$/);
  // No wakeups after stop.
  const wakes = pickup.wakes.length;
  await harness.run({ forMs: 600_000 });
  assert.equal(pickup.wakes.length, wakes);
});

test('endpoints: a missing service is ServiceUnavailableError; deliveryAgent needs deliver()', async () => {
  const { harness } = await makeHost();
  assert.throws(() => harness.runtime!.bounce(), /connect to private\/bounce/);
  assert.equal(harness.runtime!.deliveryAgent('local'), undefined);
  assert.equal(harness.runtime!.deliveryAgent('cleanup'), undefined);
  await harness.stop();
});

test('"smtp inet ... smtpd" and "smtp unix ... smtp" are two services', async () => {
  const smtpd = recordingProgram('smtpd');
  const smtp = recordingProgram('smtp');
  const harness = await createPipelineHost({
    masterCf: 'smtp      inet  n       -       n       -       -       smtpd\nsmtp      unix  -       -       n       -       -       smtp\n',
    programs: { smtpd: smtpd.definition, smtp: smtp.definition },
  });
  assert.deepEqual([...harness.runtime!.services().keys()].sort(), ['inet/smtp', 'smtp']);
  assert.equal(harness.runtime!.services().get('smtp')?.entry.command, 'smtp');
  assert.equal(smtpd.started.length + smtp.started.length, 2);
  await harness.stop();
});

test('a service that fails at start-up is left out with master\'s warnings; the host runs on', async () => {
  const qmgr = recordingProgram('qmgr');
  const failing: ServiceProgram = {
    program: 'pickup',
    async start(context) {
      return context.log.fatal('parameter maximal_queue_lifetime: bad time value or unit: 5x');
    },
  };
  const harness = await createPipelineHost({ masterCf: MASTER_CF, programs: { pickup: failing, qmgr: qmgr.definition } });
  assert.deepEqual([...harness.runtime!.services().keys()], ['qmgr']);
  const log = (await harness.maillog()).map((line) => line.slice(21).replace(/\[\d+\]/, '[PID]'));
  assert.ok(log.includes('postfix/pickup[PID]: fatal: parameter maximal_queue_lifetime: bad time value or unit: 5x'), log.join('\n'));
  assert.ok(log.some((line) => /^postfix\/master\[PID\]: warning: process \/usr\/lib\/postfix\/sbin\/pickup pid \d+ exit status 1$/.test(line)), log.join('\n'));
  assert.ok(log.includes('postfix/master[PID]: warning: /usr/lib/postfix/sbin/pickup: bad command startup -- throttling'));
  await harness.stop();
});

test('main.cf warnings of a service: logged under its own name and pid when it first acts, never for an unused one', async () => {
  const { DEFAULT_MAIN_CF } = await import('../../pipeline/harness.ts');
  const { programs } = await import('../../../engine/master/programs.ts');
  const harness = await createPipelineHost({
    programs, mainCf: `${DEFAULT_MAIN_CF}mydestination = localhost\nmydestination = $myhostname, localhost, $mydomain\n`,
  });
  await harness.run();
  // postfix(1)'s own reading of main.cf (a command run after start) stays off the maillog.
  await harness.command(['postfix', 'status']);
  const overriding = (lines: readonly string[]) => lines.filter((line) => line.includes('overriding earlier entry'))
    .map((line) => /postfix\/([a-z-]+)\[\d+\]/.exec(line)?.[1]);
  // At start: pickup and qmgr (master.cf wakeups, started by master at once), nobody else.
  // pickup and qmgr, then `postfix status`'s helpers master -t and postlog; no postfix line.
  assert.deepEqual([...new Set(overriding(await harness.maillog()))], ['pickup', 'qmgr', 'master', 'postlog']);
  const sent = await harness.sendmail(['alice'], 'Subject: twice\n\nbody\n');
  // sendmail and postdrop read main.cf before their logging knows maillog_file: terminal only.
  assert.deepEqual(sent.stderr.split('\n').filter((line) => line !== '').map((line) => line.split(':')[0]),
    ['sendmail', 'sendmail', 'postdrop', 'postdrop']);
  const log = await harness.maillog();
  const programsThatWarned = overriding(log);
  assert.ok(!programsThatWarned.includes('sendmail') && !programsThatWarned.includes('postdrop'), log.join('\n'));
  for (const program of ['cleanup', 'trivial-rewrite', 'local']) {
    assert.ok(programsThatWarned.includes(program), `${program} warns once used:\n${log.join('\n')}`);
    const first = log.findIndex((line) => line.includes(`/${program}[`));
    assert.match(log[first]!, /overriding earlier entry/, `${program}'s warning is its first line`);
    const pids = new Set(log.filter((line) => line.includes(`/${program}[`)).map((line) => /\[(\d+)\]/.exec(line)![1]));
    assert.equal(pids.size, 1, `${program}: one pid for its warning and its work`);
  }
  for (const unused of ['error', 'discard', 'virtual', 'showq', 'flush', 'postfix']) {
    assert.ok(!programsThatWarned.includes(unused), `${unused} said nothing`);
  }
  await harness.stop();
});
