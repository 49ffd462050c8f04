// The simulated world in a real browser (issue 5, item 9): the page opens ?scenario=two-hosts,
// whose whole World runs in the engine worker. Paused, it steps a few events and lists them,
// steps back (a replay from the start) to the previous step, plays until alice's message is
// delivered on b (b's local delivery shows in the event list), switches to b's terminal and
// reads bob's mailbox with `mail -u bob` (a's terminal keeps its screen), fast-forwards an
// hour of virtual time, then types a sendmail command on a, steps, and steps back twice:
// the first back keeps the typed command (it was typed before the step) and redraws a's
// terminal from the replayed shell; the second goes to before the fast-forward, where the
// command on a was never typed but b's mail session (typed earlier) still shows.
// Debian's Chromium through playwright-core, a fresh `vite build` into a temporary directory;
// every wait bounded; screenshots in test-results/world-*.png. Server, browser and build removed.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { WorldStatus } from '../../ui/src/worker/protocol.ts';
import { openBrowserSession, openEngine, pollFor, resultsDirectory, type BrowserSession } from './browser.ts';

const waitMs = 20_000;
const pollMs = 50;
const hostA = 'a.example.test';
const hostB = 'b.example.test';

let session: BrowserSession | undefined;
let page: Page;

interface ListedRow {
  seq: number;
  host: string;
  service: string;
  kind: string;
  text: string;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, limitMs = waitMs): Promise<T> {
  return pollFor(what, probe, { limitMs, pollMs }, async () => `the world: ${JSON.stringify(await worldStatus().catch(() => null))}`);
}

function worldStatus(): Promise<WorldStatus | null> {
  return page.evaluate(() => window.__mtalab?.world() ?? null);
}

function terminalText(hostId: string): Promise<string> {
  return page.evaluate((id) => window.__mtalab?.terminalText(id) ?? '', hostId);
}

function listedRows(): Promise<ListedRow[]> {
  return page.locator('[data-testid="event-list"] tbody tr[data-seq]').evaluateAll((rows) => rows.map((row) => ({
    seq: Number(row.getAttribute('data-seq')),
    host: row.getAttribute('data-host') ?? '',
    service: row.getAttribute('data-service') ?? '',
    kind: row.getAttribute('data-kind') ?? '',
    text: row.querySelector('td.text')?.textContent ?? '',
  })));
}

/** Waits until the worker reports the world paused and idle of controls. */
function settledPaused(what: string): Promise<WorldStatus> {
  return waitFor(what, async () => {
    const world = await worldStatus();
    return world?.activity === 'paused' ? world : undefined;
  });
}

/** Clicks `testId` and waits for the world to be paused again at another position. */
async function control(testId: string, from: WorldStatus): Promise<WorldStatus> {
  await page.getByTestId(testId).first().click();
  return waitFor(`${testId} to finish`, async () => {
    const world = await worldStatus();
    return world?.activity === 'paused' && (world.position !== from.position || world.nowMs !== from.nowMs) ? world : undefined;
  });
}

function lastLine(text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1).trimEnd();
}

/** Types `line` and Enter into the focused terminal of hostId; returns the lines up to the
 *  last line matching `until`. */
async function run(hostId: string, line: string, until: RegExp): Promise<string[]> {
  const before = await terminalText(hostId);
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  const after = await waitFor(`"${line}" on ${hostId}`, async () => {
    const text = await terminalText(hostId);
    const added = text.slice(before.length);
    return added.includes('\n') && until.test(lastLine(text)) ? text : undefined;
  });
  return after.slice(before.length).split('\n').slice(1, -1);
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(resultsDirectory, { recursive: true });
  await page.screenshot({ path: join(resultsDirectory, `world-${name}.png`) });
}

describe('the simulated world in the page', { timeout: 240_000 }, () => {
  before(async () => {
    session = await openBrowserSession({ freshBuildPrefix: 'mtalab-e2e-world-', viewport: { width: 1440, height: 960 } });
    page = session.page;
    await openEngine(session, `${session.server.url}?scenario=two-hosts`, [hostA, hostB], waitMs, 'the engine and both prompts', waitFor);
  });

  after(async () => {
    await session?.close();
  });

  test('the picker lists the scenarios and shows two-hosts; one tab per host', async () => {
    const picker = page.getByTestId('scenario-picker');
    assert.equal(await picker.inputValue(), 'two-hosts');
    const options = await picker.locator('option').evaluateAll((nodes) => nodes.map((node) => (node as HTMLOptionElement).value));
    assert.ok(options.includes('single-host') && options.includes('two-hosts'), `options: ${options.join(', ')}`);
    assert.equal((await page.getByTestId('scenario-title').innerText()).trim(), 'Two mail hosts');
    const tabs = await page.getByTestId('host-tab').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-host')));
    assert.deepEqual(tabs, [hostA, hostB]);
    assert.equal(await page.evaluate(() => window.__mtalab?.selectedHostId()), hostA);
  });

  let afterSecond: { world: WorldStatus; rows: ListedRow[] } | undefined;

  test('paused, step fires events up to the next trace event and lists it', async () => {
    await page.getByTestId('pause').click();
    let world = await settledPaused('the world to pause');
    assert.equal(await page.getByTestId('play').count(), 1, 'the button offers play again');
    for (let step = 1; step <= 3; step += 1) {
      const rowsBefore = await listedRows();
      world = await control('step', world);
      const rows = await waitFor(`the rows of step ${step}`, async () => {
        const listed = await listedRows();
        return listed.length > rowsBefore.length ? listed : undefined;
      });
      assert.ok(rows.at(-1)!.seq > (rowsBefore.at(-1)?.seq ?? 0), 'new events come last');
      if (step === 2) afterSecond = { world, rows };
    }
    assert.match(await page.getByTestId('notice').innerText(), /scheduler events?, \d+ trace events?/);
    await screenshot('step');
  });

  test('back replays the world to where the last step began', async () => {
    assert.ok(afterSecond !== undefined);
    const before = await worldStatus();
    assert.equal(before?.back.enabled, true);
    await page.getByTestId('back').click();
    const world = await waitFor('the replay', async () => {
      const status = await worldStatus();
      return status?.activity === 'paused' && status.position === afterSecond!.world.position ? status : undefined;
    });
    assert.equal(world.nowMs, afterSecond.world.nowMs, 'the clock is back where the second step left it');
    const rows = await listedRows();
    assert.deepEqual(rows, afterSecond.rows, 'the list is the one after the second step');
    assert.match(await page.getByTestId('notice').innerText(), /back to event \d+/);
  });

  test('play runs in realtime until b delivers alice\'s message to bob', async () => {
    await page.getByTestId('play').click();
    const delivered = await waitFor('b\'s local delivery in the event list', async () => {
      const rows = await listedRows();
      return rows.find((row) => row.host === hostB && row.service === 'local' && row.kind === 'delivery.status');
    });
    assert.match(delivered.text, /to=<bob@b\.example\.test>, relay=local, .*status=sent \(delivered to mailbox\)/);
    const rows = await listedRows();
    assert.ok(rows.some((row) => row.host === hostA && row.service === 'smtp' && /status=sent \(250 .*queued as/.test(row.text)),
      'a\'s smtp line with the queued-as id is listed too');
    await page.getByTestId('pause').click();
    await settledPaused('the world to pause after the delivery');
    await screenshot('delivered');
  });

  test('switching to b shows its terminal; mail -u bob reads the message; a keeps its screen', async () => {
    const screenOfA = await terminalText(hostA);
    await page.locator(`[data-testid="host-tab"][data-host="${hostB}"]`).click();
    assert.equal(await page.evaluate(() => window.__mtalab?.selectedHostId()), hostB);
    assert.equal(await page.locator(`.slot[data-host="${hostB}"]`).evaluate((node) => getComputedStyle(node).visibility), 'visible');
    assert.equal(await page.locator(`.slot[data-host="${hostA}"]`).evaluate((node) => getComputedStyle(node).visibility), 'hidden');
    assert.equal((await page.getByTestId('host-name').innerText()).trim(), hostB);
    const listing = await run(hostB, 'mail -u bob', /^&$/);
    assert.equal(listing[0], '"/var/mail/bob": 1 message 1 new');
    assert.match(listing[1] ?? '', /^>N {2}1 alice@a\.example\.test .* Hello from a$/);
    const message = await run(hostB, '1', /^&$/);
    assert.ok(message.includes('Subject: Hello from a'), message.join('\n'));
    assert.ok(message.includes('this message crossed from a.example.test to b.example.test by SMTP.'));
    assert.deepEqual(await run(hostB, 'q', /[#$]$/), ['Held 1 message in /var/mail/bob']);
    // Back to a by keyboard: a's terminal shows what it showed before.
    await page.locator(`[data-testid="host-tab"][data-host="${hostB}"]`).focus();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.evaluate(() => window.__mtalab?.selectedHostId()), hostA);
    assert.equal(await terminalText(hostA), screenOfA);
    assert.match(await terminalText(hostB), /Held 1 message in \/var\/mail\/bob/);
    await page.keyboard.press('ArrowRight');
    await screenshot('terminal-b');
  });

  let beforeFastForward: WorldStatus | undefined;

  test('fast-forward moves virtual time by an hour; back stays on after typing', async () => {
    const before = await settledPaused('a paused world');
    beforeFastForward = before;
    await page.getByTestId('fast-forward').filter({ hasText: '+1 h' }).click();
    const after = await waitFor('the fast-forward', async () => {
      const world = await worldStatus();
      return world?.activity === 'paused' && world.nowMs > before.nowMs ? world : undefined;
    });
    assert.equal(after.nowMs - before.nowMs, 3_600_000);
    assert.match(await page.getByTestId('since-boot').innerText(), /^T\+1 h \d+ min$/);
    assert.match(await page.getByTestId('notice').innerText(), /fast-forwarded 1 h/);
    assert.equal(after.back.enabled, true, 'typing on b does not turn back off');
    assert.equal(await page.getByTestId('back').isDisabled(), false);
    assert.equal(await page.getByTestId('back-reason').count(), 0);
  });

  test('a command typed on a, a step, then back: the typed command stays, replayed; back again undoes it', async () => {
    assert.ok(beforeFastForward !== undefined);
    await page.locator(`[data-testid="host-tab"][data-host="${hostA}"]`).click();
    await page.locator(`.slot[data-host="${hostA}"] .terminal-frame`).click();
    const typedLine = "printf 'Subject: typed\\n\\nfrom the page\\n' | sendmail -f root@a.example.test dave@b.example.test";
    const echoed = await run(hostA, typedLine, /[#$]$/);
    assert.deepEqual(echoed, [], 'sendmail prints nothing');
    const typed = await settledPaused('the world after typing');
    const screenOfA = await terminalText(hostA);
    const screenOfB = await terminalText(hostB);
    assert.ok(screenOfA.includes(typedLine), screenOfA);
    const stepped = await control('step', typed);
    assert.ok(stepped.position > typed.position);

    await page.getByTestId('back').click();
    const back = await waitFor('the replay after typing', async () => {
      const status = await worldStatus();
      return status?.activity === 'paused' && status.position === typed.position ? status : undefined;
    });
    assert.equal(back.nowMs, typed.nowMs, 'the clock is where the command was typed');
    assert.match(await page.getByTestId('notice').innerText(), /back to event \d+ \(replayed from the start, with your typing fed again at the same points\)/);
    await waitFor('a\'s terminal redrawn from the replay', async () => ((await terminalText(hostA)) === screenOfA ? true : undefined));
    assert.equal(await terminalText(hostB), screenOfB, 'b\'s terminal shows its replayed mail session');
    await screenshot('back-after-typing');

    await page.getByTestId('back').click();
    const earlier = await waitFor('the second replay', async () => {
      const status = await worldStatus();
      return status?.activity === 'paused' && status.position === beforeFastForward!.position ? status : undefined;
    });
    assert.equal(earlier.nowMs, beforeFastForward.nowMs);
    const undone = await waitFor('a\'s terminal without the command', async () => {
      const text = await terminalText(hostA);
      return text.includes('sendmail -f root@a.example.test dave') ? undefined : text;
    });
    assert.match(lastLine(undone), /^root@a:~# $|^root@a:~#$/);
    assert.match(await terminalText(hostB), /Held 1 message in \/var\/mail\/bob/, 'b\'s session was typed before: it stays');
    await screenshot('final');
    assert.deepEqual(session?.problems, []);
  });
});
