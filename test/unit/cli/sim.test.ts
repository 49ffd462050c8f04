// `mtalab sim` as a child process (bin/mtalab.mjs): the two-hosts run prints both hosts'
// maillogs, each line prefixed with its host, with a's smtp "queued as" id found in b's
// lines, exit 0; --trace prints the same run as JSON lines, the same bytes for the same
// seed; --until bounds virtual time; a runaway exits 1 with the SEED/scenario message; a
// bad command line or unknown scenario exits 64 with the usage and the scenario list; the
// top-level `mtalab --help` lists every shipped scenario.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseSimArguments } from '../../../engine/cli/sim.ts';
import { scenarios } from '../../../scenarios/index.ts';
import * as usageModule from '../../../engine/cli/usage.ts';

const bin = fileURLToPath(new URL('../../../bin/mtalab.mjs', import.meta.url));

function mtalab(...argv: string[]) {
  const result = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', timeout: 120_000, cwd: '/' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('mtalab sim two-hosts prints both maillogs by host; the queued-as id joins them; exit 0', () => {
  const run = mtalab('sim', 'two-hosts');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = run.stdout.trimEnd().split('\n');
  assert.ok(lines.every((line) => /^(a|b)\.example\.test: \w{3} [ \d]\d \d\d:\d\d:\d\d (a|b) postfix\//.test(line)), run.stdout);
  const sent = lines.find((line) => line.startsWith('a.example.test: ') && / postfix\/smtp\[\d+\]: \w+: to=<bob@b\.example\.test>, relay=b\.example\.test\[198\.51\.100\.12\]:25, .*status=sent \(250 2\.0\.0 Ok: queued as \w+\)$/.test(line));
  const remote = /queued as (\w+)\)$/.exec(sent ?? '')?.[1];
  assert.ok(remote !== undefined, run.stdout);
  assert.ok(lines.some((line) => line.startsWith('b.example.test: ') && line.endsWith(`${remote}: client=a.example.test[192.0.2.11]`)), run.stdout);
  assert.ok(lines.some((line) => line.startsWith('b.example.test: ') && line.includes(`local[`) && line.includes(`${remote}: to=<bob@b.example.test>`) && line.endsWith('status=sent (delivered to mailbox)')), run.stdout);
});

test('mtalab sim --trace: JSON lines, byte-identical for one seed, different queue ids for another', () => {
  const first = mtalab('sim', 'two-hosts', '--trace', '--seed', '9');
  const second = mtalab('sim', 'two-hosts', '--trace', '--seed=9');
  const other = mtalab('sim', 'two-hosts', '--trace', '--seed', '10');
  assert.equal(first.status, 0, first.stderr);
  const events = first.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { kind: string; seq: number; host: string });
  assert.deepEqual(events.map((event) => event.seq), events.map((_, index) => index + 1));
  assert.ok(events.some((event) => event.kind === 'delivery.status' && event.host === 'b.example.test'));
  assert.equal(second.stdout, first.stdout);
  assert.notEqual(other.stdout, first.stdout);
});

test('mtalab sim --until 500 stops before the 1 s action: no mail moved', () => {
  const run = mtalab('sim', 'two-hosts', '--until', '500');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /starting the Postfix mail system/);
  assert.doesNotMatch(run.stdout, /pickup|smtpd/);
});

test('a run past --events-max exits 1 with the SEED/scenario message; bad usage exits 64', () => {
  const runaway = mtalab('sim', 'two-hosts', '--events-max', '3');
  assert.equal(runaway.status, 1);
  assert.match(runaway.stderr, /^mtalab sim: SEED=2 scenario=two-hosts: stopped after 3 events \(limit 3\)/);
  const unknown = mtalab('sim', 'nowhere');
  assert.equal(unknown.status, 64);
  assert.equal(unknown.stderr, `mtalab sim: no scenario named nowhere\nscenarios: ${Object.keys(scenarios).sort().join(', ')}\n`);
  const bad = mtalab('sim', 'two-hosts', '--seed', 'x');
  assert.equal(bad.status, 64);
  assert.match(bad.stderr, /^mtalab sim: --seed needs a whole number\nusage: mtalab sim SCENARIO /);
});

test('parseSimArguments: flags in either form; one scenario', () => {
  assert.deepEqual(parseSimArguments(['x', '--until=5', '--trace']), { ok: true, value: { scenario: 'x', untilMs: 5, eventsMax: 1_000_000, trace: true } });
  assert.deepEqual(parseSimArguments(['x', 'y']), { ok: false, message: 'unexpected argument: y' });
  assert.deepEqual(parseSimArguments(['--bogus']), { ok: false, message: 'unknown option: --bogus' });
  assert.deepEqual(parseSimArguments([]), { ok: false, message: 'no scenario given' });
});

test("mtalab's top-level usage names every shipped scenario and the sim's flags", () => {
  const { usageText } = usageModule;
  const simLines = usageText.slice(usageText.indexOf('mtalab sim '), usageText.indexOf('mtalab --help'));
  assert.match(simLines, /mtalab sim SCENARIO \[--seed N\] \[--until MS\] \[--events-max N\] \[--trace\]/);
  const listed = simLines.slice(simLines.indexOf('Scenarios:') + 'Scenarios:'.length).split(/[\s,]+/).filter((word) => word !== '');
  assert.deepEqual(listed.sort(), Object.keys(scenarios).sort());
});
