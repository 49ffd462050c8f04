// Back after typing (issue 5, item 3): root types a sendmail pipeline into a's terminal in
// two-hosts, the world steps on until dave@b has the message, then back() -- through a
// rebuild, and again through the twin -- gives a world whose trace, queue directories,
// mailboxes and terminal output equal, byte for byte, a fresh run that was fed the same
// typed input at the same point (after the same number of events, at the same virtual
// time). Going back before the typing undoes the command: no terminal, no message.
// Each failure message starts with "SEED=<n> scenario=<id>".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Volume } from 'memfs';
import { createReplayer } from '../../engine/sim/replay.ts';
import type { World } from '../../engine/sim/world.ts';
import type { TerminalInput } from '../../engine/sim/terminals.ts';
import { check, openWorld, tag } from './world.ts';

const HOST_A = 'a.example.test';
const HOST_B = 'b.example.test';
const TYPED_AT = 5;
const TYPED = "printf 'Subject: typed on a\\n\\nhello dave\\n' | sendmail -f root@a.example.test dave@b.example.test\r";
/** Steps after the typing within which dave's delivery must happen. */
const STEPS_MAX = 400;
/** Files one dump may list. */
const DUMP_FILES_MAX = 10_000;

/** Every file under `root` as "path base64", sorted: the queue and mailboxes, byte for byte. */
function dump(volume: Volume, root: string): string[] {
  const lines: string[] = [];
  const pending = [root];
  for (let visited = 0; pending.length > 0 && visited < DUMP_FILES_MAX; visited++) {
    const path = pending.pop()!;
    if (!volume.existsSync(path)) continue;
    if (volume.statSync(path).isDirectory()) {
      for (const name of volume.readdirSync(path) as string[]) pending.push(`${path}/${name}`);
      lines.push(`${path}/`);
    } else {
      lines.push(`${path} ${Buffer.from(volume.readFileSync(path) as Buffer).toString('base64')}`);
    }
  }
  return lines.sort();
}

interface State {
  position: number;
  nowMs: number;
  trace: string;
  files: string[];
  terminal: string;
}

function stateOf(world: World): State {
  const files = [HOST_A, HOST_B].flatMap((name) => {
    const volume = world.host(name)!.volume;
    return [...dump(volume, '/var/spool/postfix'), ...dump(volume, '/var/mail')].map((line) => `${name} ${line}`);
  });
  return { position: world.position(), nowMs: world.nowMs(), trace: world.traceLines(), files, terminal: world.terminals.transcript(HOST_A) };
}

/** A fresh two-hosts world run to `target` events, fed `inputs` at their points. */
async function freshRun(inputs: readonly TerminalInput[], target: number): Promise<World> {
  const world = await openWorld('two-hosts');
  let fed = 0;
  for (let round = 0; round <= target + inputs.length; round++) {
    while (fed < inputs.length && inputs[fed]!.position === world.position()) await world.terminals.feed(inputs[fed++]!);
    if (world.position() >= target) break;
    await world.step();
  }
  return world;
}

function assertSame(world: World, actual: State, expected: State, what: string): void {
  assert.equal(actual.position, expected.position, tag(world, `${what}: position`));
  assert.equal(actual.nowMs, expected.nowMs, tag(world, `${what}: clock`));
  assert.equal(actual.trace, expected.trace, tag(world, `${what}: trace`));
  assert.deepEqual(actual.files, expected.files, tag(world, `${what}: queue and mailboxes`));
  assert.equal(actual.terminal, expected.terminal, tag(world, `${what}: terminal output`));
}

const delivered = (world: World): boolean => world.trace.some((event) =>
  event.kind === 'delivery.status' && event.recipient === 'dave@b.example.test' && event.status === 'sent');

test('back after a typed command gives the world a fresh run with the same input gives', async () => {
  const replayer = await createReplayer(() => openWorld('two-hosts'));
  for (let index = 0; index < TYPED_AT; index++) await replayer.step();
  const typedWorld = replayer.world();
  await typedWorld.terminals.open(HOST_A, { columns: 100, rows: 30 });
  await typedWorld.terminals.input(HOST_A, TYPED);
  const states: State[] = [];
  states[replayer.position()] = stateOf(typedWorld);
  for (let steps = 0; steps < STEPS_MAX && !delivered(replayer.world()); steps++) {
    await replayer.step();
    states[replayer.position()] = stateOf(replayer.world());
  }
  const end = replayer.position();
  check(typedWorld, delivered(typedWorld), `dave has no delivery after ${STEPS_MAX} steps`);
  check(typedWorld, typedWorld.terminals.transcript(HOST_A).includes('sendmail -f root@a.example.test'), 'the terminal echoed the command');
  check(typedWorld, states[end]!.files.some((line) => line.startsWith(`${HOST_B} /var/mail/dave `)), 'dave has a mailbox');
  const inputs = [...typedWorld.terminals.log];
  assert.deepEqual(inputs.map((entry) => [entry.kind, entry.position]), [['open', TYPED_AT], ['keys', TYPED_AT]]);

  // First back: no twin yet, so a rebuild from the start that feeds the typing again.
  assert.equal(await replayer.back(), true);
  const once = replayer.world();
  assertSame(once, stateOf(once), states[end - 1]!, 'one back');
  assertSame(once, stateOf(once), stateOf(await freshRun(inputs, end - 1)), 'one back against a fresh run');
  assert.deepEqual(once.terminals.log, inputs, tag(once, 'the replayed world logged the same inputs'));

  // Second back: the twin, rebuilt in the background with the same input.
  await replayer.rebuilding();
  assert.equal(await replayer.back(), true);
  const twice = replayer.world();
  assertSame(twice, stateOf(twice), states[end - 2]!, 'two backs');
  assertSame(twice, stateOf(await freshRun(inputs, end - 2)), stateOf(twice), 'two backs against a fresh run');

  // Forward again: the same delivery at the same point.
  await replayer.seek(end);
  assertSame(replayer.world(), stateOf(replayer.world()), states[end]!, 'forward again');

  // Back to where it was typed: the input is part of that point; before it, it never was.
  await replayer.seek(TYPED_AT);
  assertSame(replayer.world(), stateOf(replayer.world()), states[TYPED_AT]!, 'at the typing');
  await replayer.seek(TYPED_AT - 1);
  const before = replayer.world();
  check(before, !before.terminals.isOpen(HOST_A) && before.terminals.log.length === 0, 'no terminal before the typing');
  const plain = await freshRun([], TYPED_AT - 1);
  assert.equal(before.traceLines(), plain.traceLines(), tag(before, 'before the typing: the scenario alone'));
  await replayer.rebuilding();
  replayer.dispose();
});

test('feed refuses an input at a point the world is not at', async () => {
  const world = await openWorld('two-hosts');
  await world.step();
  await assert.rejects(world.terminals.feed({ host: HOST_A, kind: 'open', columns: 80, rows: 24, position: 0, atMs: world.nowMs() }),
    /replay diverged/);
});
