// The first page in a real browser: Debian's Chromium driven by playwright-core (never a
// downloaded browser) opens the built page (ui/dist, served by engine/cli/serve.ts), types
// into the host's terminal with the keyboard and reads the answers from xterm's buffer
// through window.__mtalab. Expected answers come from the real Postfix 3.7 (postconf,
// postmap) run with -c on a copy of the scenario's configuration. Takes a screenshot to
// test-results/page.png. Every wait is bounded; the server and the browser are stopped.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { singleHost } from '../../scenarios/single-host/scenario.ts';
import { lastLineOf as lastLine, openBrowserSession, openEngine, pollFor, repositoryRoot, resultsDirectory, type BrowserSession } from './browser.ts';

const scenarioDirectory = join(repositoryRoot, 'scenarios', 'single-host');
const waitMs = 15_000;
const pollMs = 50;
const scenarioFilesMax = 1000;

let session: BrowserSession | undefined;
let page: Page;
let prompt = '';
let postfixDirectory = '';

/** Polls `probe` until it returns a value, at most `waitMs`; fails with `what` otherwise. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, limitMs = waitMs): Promise<T> {
  return pollFor(what, probe, { limitMs, pollMs }, async () => `the terminal shows:\n${await terminalText()}`);
}

function terminalText(): Promise<string> {
  return page.evaluate(() => window.__mtalab?.terminalText() ?? '');
}

/** Types `command` and Enter; returns the lines it printed before the next prompt. */
async function run(command: string): Promise<string[]> {
  const before = await terminalText();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  const after = await waitFor(`the prompt after "${command}"`, async () => {
    const text = await terminalText();
    const added = text.slice(before.length);
    return added.includes('\n') && lastLine(text) === prompt ? text : undefined;
  });
  const lines = after.slice(before.length).split('\n');
  assert.equal(lines[0], command, 'the terminal echoes the command after the prompt');
  return lines.slice(1, -1);
}

/** Runs the real Postfix tool; its stdout and status are the expected answer. */
function realPostfix(program: string, argv: string[]): { lines: string[]; status: number } {
  const result = spawnSync(`/usr/sbin/${program}`, argv, { encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.error, undefined, `cannot run /usr/sbin/${program} (scripts/ensure-test-tools.sh installs it)`);
  const lines = result.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { lines, status: result.status ?? -1 };
}

function listFiles(directory: string): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path).sort()) {
      if (found.length > scenarioFilesMax) return;
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else found.push(relative(scenarioDirectory, full));
    }
  };
  walk(directory);
  return found;
}

/** Copies the scenario host's etc/postfix to a private directory for the real Postfix. */
function copyPostfixConfiguration(): string {
  const mainCf = listFiles(scenarioDirectory).find((path) => path.endsWith('etc/postfix/main.cf'));
  assert.ok(mainCf !== undefined, `no etc/postfix/main.cf under ${scenarioDirectory}`);
  const source = join(scenarioDirectory, mainCf, '..');
  const copy = mkdtempSync(join(tmpdir(), 'mtalab-e2e-postfix-'));
  for (const name of readdirSync(source)) {
    if (statSync(join(source, name)).isFile()) copyFileSync(join(source, name), join(copy, name));
  }
  return copy;
}

/** Compares text as a terminal shows it: tabs and runs of blanks are one space. */
const squeeze = (line: string): string => line.replace(/\s+/g, ' ').trim();

describe('the first page', { timeout: 120_000 }, () => {
  before(async () => {
    postfixDirectory = copyPostfixConfiguration();
    session = await openBrowserSession({ viewport: { width: 1280, height: 800 } });
    page = session.page;
    await openEngine(session, session.server.url, [], waitMs, 'the engine to be ready', waitFor);
    prompt = await waitFor('the first prompt', async () => {
      const text = await terminalText();
      return text.length > 0 ? lastLine(text) : undefined;
    });
  });

  after(async () => {
    await session?.close();
    if (postfixDirectory !== '') rmSync(postfixDirectory, { recursive: true, force: true });
  });

  test('shows mtalab, the scenario and its host, and focuses the terminal', async () => {
    assert.match(await page.locator('header').innerText(), /mtalab/);
    const title = await page.getByTestId('scenario-title').innerText();
    assert.notEqual(title.trim(), '…');
    assert.match(prompt, /[#$] $/, `a shell prompt, got ${JSON.stringify(prompt)}`);
    assert.equal(title.trim(), singleHost.title);
    const hostDefinition = singleHost.hosts[0]!;
    assert.equal((await page.getByTestId('host-name').innerText()).trim(), hostDefinition.name);
    const addresses = await page.locator('.address').allInnerTexts();
    assert.deepEqual(addresses.map((address) => address.trim()), hostDefinition.addresses);
    const focused = await page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea'));
    assert.equal(focused, true, 'the terminal has the keyboard on load');
    // The ring fades in (a short transition), so wait for its final colour.
    await waitFor('the focus ring', async () => {
      const ring = await page.evaluate(() => getComputedStyle(document.querySelector('.window')!).outlineColor);
      return ring === 'rgb(15, 118, 110)' ? ring : undefined;
    }, 2000);
  });

  test('postconf mydestination answers as the real postconf', async () => {
    const expected = realPostfix('postconf', ['-c', postfixDirectory, 'mydestination']);
    assert.deepEqual(await run('postconf mydestination'), expected.lines);
  });

  test('postconf -n lists the same settings as the real postconf', async () => {
    const expected = realPostfix('postconf', ['-c', postfixDirectory, '-n']);
    // -c makes config_directory explicit for the real postconf; the shell's postconf reads
    // its own /etc/postfix without -c, so that one line is not part of the answer.
    const lines = expected.lines.filter((line) => !line.startsWith('config_directory = '));
    assert.ok(lines.length > 0);
    assert.deepEqual(await run('postconf -n'), lines);
  });

  test('postmap -q answers from the aliases file as the real postmap', async () => {
    const expected = realPostfix('postmap', ['-c', postfixDirectory, '-q', 'alice', `texthash:${join(postfixDirectory, 'aliases')}`]);
    assert.equal(expected.status, 0, 'the scenario has an alias for alice');
    assert.deepEqual(await run('postmap -q alice texthash:/etc/postfix/aliases'), expected.lines);
    assert.deepEqual(await run('echo $?'), [String(expected.status)]);
  });

  test('cat shows main.cf line for line', async () => {
    const file = readFileSync(join(postfixDirectory, 'main.cf'), 'utf8').split('\n');
    if (file[file.length - 1] === '') file.pop();
    const shown = await run('cat /etc/postfix/main.cf');
    assert.deepEqual(shown.map(squeeze), file.map(squeeze));
  });

  test('Tab completes a parameter name and keeps the focus in the terminal', async () => {
    const before = await terminalText();
    await page.keyboard.type('postconf mydest');
    await page.keyboard.press('Tab');
    const completed = await waitFor('the completion', async () => {
      const line = lastLine(await terminalText());
      return line.startsWith(`${prompt}postconf mydestination`) ? line : undefined;
    });
    assert.equal(completed.trimEnd(), `${prompt}postconf mydestination`);
    const focused = await page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea'));
    assert.equal(focused, true, 'Tab stays in the terminal');
    await page.keyboard.press('Enter');
    const after = await waitFor('the prompt after the completed command', async () => {
      const text = await terminalText();
      return text.length > before.length && lastLine(text) === prompt ? text : undefined;
    });
    const expected = realPostfix('postconf', ['-c', postfixDirectory, 'mydestination']);
    assert.deepEqual(after.slice(before.length).split('\n').slice(1, -1), expected.lines);
  });

  test('an unknown command says so, with status 127', async () => {
    const shown = await run('frobnicate --now');
    assert.equal(shown.length, 1);
    assert.match(shown[0] ?? '', /frobnicate: command not found$/);
    assert.deepEqual(await run('echo $?'), ['127']);
  });

  test('Shift+Tab leaves the terminal; a click brings the keyboard back', async () => {
    await page.keyboard.press('Shift+Tab');
    const inTerminal = () => page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea') ?? false);
    assert.equal(await inTerminal(), false);
    await page.locator('.terminal-frame').click({ position: { x: 300, y: 300 } });
    assert.equal(await inTerminal(), true);
    assert.deepEqual(await run('echo back'), ['back']);
  });

  test('a suggested command is typed at the prompt and the terminal keeps the keyboard', async () => {
    await page.keyboard.type('half-typed');
    await page.getByRole('button', { name: /postconf mydestination/ }).click();
    const line = await waitFor('the suggested command at the prompt', async () => {
      const last = lastLine(await terminalText());
      return last === `${prompt}postconf mydestination` ? last : undefined;
    });
    assert.equal(line, `${prompt}postconf mydestination`, 'the half-typed line was cleared first');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea')), true);
    const before = await terminalText();
    await page.keyboard.press('Enter');
    const after = await waitFor('the prompt after the suggested command', async () => {
      const text = await terminalText();
      return text.length > before.length && lastLine(text) === prompt ? text : undefined;
    });
    const expected = realPostfix('postconf', ['-c', postfixDirectory, 'mydestination']);
    assert.deepEqual(after.slice(before.length).split('\n').slice(1, -1), expected.lines);
  });

  test('an unknown scenario is reported on the page, not swallowed', async () => {
    const other = await session!.browser.newPage({ viewport: { width: 1024, height: 700 } });
    try {
      await other.goto(`${session!.server.url}?scenario=no-such-scenario`, { waitUntil: 'load', timeout: waitMs });
      const alert = other.getByRole('alert');
      await alert.waitFor({ timeout: waitMs });
      assert.match(await alert.innerText(), /scenario-not-found.*no scenario named no-such-scenario/);
      assert.equal(await other.evaluate(() => window.__mtalab?.status()), 'failed');
    } finally {
      await other.close();
    }
  });

  test('the page looks right (screenshot) and reported no errors', async () => {
    mkdirSync(resultsDirectory, { recursive: true });
    await page.screenshot({ path: join(resultsDirectory, 'page.png') });
    assert.deepEqual(session?.problems, []);
  });
});
