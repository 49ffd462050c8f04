// The backup-mx scenario's outcome: with the primary mx1.corp.example cut off (its links
// to the sender and to the backup down, the scenario's scripted faults), the sender's smtp
// falls back to the backup mx2.corp.example, which accepts the message for corp.example
// (relay_domains) and defers it with the primary's connect failure; once the links are up
// again (8 min in) the backup's next queue run delivers it to mx1, where it lands in pat's
// mailbox.

import { test } from 'node:test';
import { check, openWorld, runQuiet } from './world.ts';
import { PRIMARY_BACK_MS } from '../../scenarios/backup-mx/scenario.ts';

const MX1 = 'mx1.corp.example';
const MX2 = 'mx2.corp.example';
const SENDER = 'sender.example.org';

test('backup-mx: mail to the domain queues on the backup while the primary is dead and is delivered when it is back', async () => {
  const world = await openWorld('backup-mx');
  // Until the backup has tried the primary and deferred the message.
  const deferred = await world.runUntil((event) => event.host === MX2 && event.kind === 'delivery.status' && event.status === 'deferred', { eventsMax: 50_000, withinMs: 600_000 });
  check(world, deferred.reason === 'matched', deferred.runaway ?? `no deferral on the backup: ${deferred.reason}`);
  const sender = await world.host(SENDER)!.maillog();
  let backup = await world.host(MX2)!.maillog();
  const both = () => `\n--- sender ---\n${sender.join('\n')}\n--- mx2 ---\n${backup.join('\n')}`;
  const handed = sender.map((line) => /: (\w+): to=<pat@corp\.example>, relay=mx2\.corp\.example\[198\.51\.100\.41\]:25, .*dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)$/.exec(line)).find((match) => match !== null);
  check(world, handed !== undefined, `the sender did not fall back to the backup MX${both()}`);
  const backupId = handed[2]!;
  check(world, sender.some((line) => line.includes('connect to mx1.corp.example[192.0.2.40]:25: Connection timed out')), `the sender's failed try of the primary${both()}`);
  check(world, backup.some((line) => line.includes(`${backupId}: to=<pat@corp.example>, relay=none, `)
    && line.endsWith('dsn=4.4.1, status=deferred (connect to mx1.corp.example[192.0.2.40]:25: Connection timed out)')), `the backup's deferral${both()}`);
  const queue = await world.host(MX2)!.command(['postqueue', '-p']);
  check(world, queue.output.includes(backupId) && queue.output.includes('pat@corp.example') && queue.output.includes('Connection timed out'), `mx2 queue:\n${queue.output}`);
  check(world, !(await world.host(MX1)!.maillog()).some((line) => line.includes('pat@corp.example')), 'the dead primary saw the message');

  // Just before the primary comes back: the message is still queued, neither sent nor bounced.
  await world.fastForward(world.loaded.bootMs + PRIMARY_BACK_MS - 1 - world.nowMs(), { eventsMax: 50_000 });
  backup = await world.host(MX2)!.maillog();
  check(world, !backup.some((line) => line.includes('status=bounced') || line.includes('status=sent') && line.includes(backupId)), `the backup gave up early${both()}`);
  check(world, (await world.host(MX2)!.command(['postqueue', '-p'])).output.includes(backupId), 'still queued on the backup');

  const delivered = await world.runUntil((event) => event.host === MX1 && event.kind === 'delivery.status' && event.service === 'local', { eventsMax: 50_000, withinMs: 7_200_000 });
  check(world, delivered.reason === 'matched', delivered.runaway ?? `not delivered after the primary came back: ${delivered.reason}`);
  await runQuiet(world);
  backup = await world.host(MX2)!.maillog();
  const primary = await world.host(MX1)!.maillog();
  const sent = backup.map((line) => new RegExp(`: ${backupId}: to=<pat@corp\\.example>, relay=mx1\\.corp\\.example\\[192\\.0\\.2\\.40\\]:25, .*dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as (\\w+)\\)$`).exec(line)).find((match) => match !== null);
  check(world, sent !== undefined, `the backup did not deliver to the primary${both()}`);
  const primaryId = sent[1]!;
  check(world, primary.some((line) => line.endsWith(`${primaryId}: client=mx2.corp.example[198.51.100.41]`)), primary.join('\n'));
  check(world, primary.some((line) => line.includes(`${primaryId}: to=<pat@corp.example>, relay=local,`) && line.endsWith('status=sent (delivered to mailbox)')), primary.join('\n'));
  const mailbox = new TextDecoder().decode(await world.host(MX1)!.platform.fs.readFile('/var/mail/pat'));
  check(world, mailbox.includes(`by mx2.corp.example (Postfix) with ESMTP id ${backupId}`) && mailbox.includes('\nSubject: Contract\n'), mailbox);
  const after = await world.host(MX2)!.command(['postqueue', '-p']);
  check(world, after.output === 'Mail queue is empty\n', `mx2 queue after: ${after.output}`);
  // The message's path: sender -> mx2 -> mx1.
  const path = world.messagePaths().find((candidate) => candidate.stages.some((stage) => stage.host === MX1));
  check(world, path !== undefined && path.stages.map((stage) => stage.host).join(' ') === `${SENDER} ${MX2} ${MX1}`, `path ${JSON.stringify(path?.stages.map((stage) => stage.key))}`);
});
