// Mail end to end in a real browser: the page boots the single-host world with Postfix
// running and the worker pacing its scheduler in real time (ui/src/worker/pacer.ts). Typed
// into the host's terminal: `sendmail alice` with a body ended by Ctrl-D; a moment later
// /var/mail/alice and `mail -u alice` show the message, `tail /var/log/maillog` shows the
// pickup, cleanup, qmgr and local lines, mailq is empty; then bob (after `su - bob`) sends
// with `mail -s` and alice reads it at mail's "& " prompt. Debian's Chromium through
// playwright-core, a fresh `vite build` into a temporary directory; every wait bounded;
// screenshot in test-results/mail.png. The server, the browser and the build are removed.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { lastLineOf, openBrowserSession, openEngine, pollFor, resultsDirectory, type BrowserSession } from './browser.ts';

const waitMs = 15_000;
const pollMs = 100;

let session: BrowserSession | undefined;
let page: Page;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, limitMs = waitMs): Promise<T> {
  return pollFor(what, probe, { limitMs, pollMs }, async () => `the terminal shows:\n${await terminalText()}`);
}

function terminalText(): Promise<string> {
  return page.evaluate(() => window.__mtalab?.terminalText() ?? '');
}

/** The last line without trailing blanks (a prompt ends in one). */
function lastLine(text: string): string {
  return lastLineOf(text).trimEnd();
}

/** Types `line` and Enter, waits until the last line is `until` (a prompt); returns the
 *  lines printed in between. */
async function run(line: string, until: RegExp = /^[a-z]+@mail:\S*[#$]$/): Promise<string[]> {
  const before = await terminalText();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  const after = await waitFor(`the prompt after "${line}"`, async () => {
    const text = await terminalText();
    const added = text.slice(before.length);
    return added.includes('\n') && until.test(lastLine(text)) ? text : undefined;
  });
  return after.slice(before.length).split('\n').slice(1, -1);
}

describe('mail through the running Postfix in the page', { timeout: 180_000 }, () => {
  before(async () => {
    session = await openBrowserSession({ freshBuildPrefix: 'mtalab-e2e-mail-', viewport: { width: 1280, height: 900 } });
    page = session.page;
    await openEngine(session, session.server.url, [null], waitMs, 'the engine and the first prompt', waitFor);
  });

  after(async () => {
    await session?.close();
  });

  test('Postfix is running when the page is ready', async () => {
    const status = await run('postfix status');
    assert.equal(status.length, 1);
    assert.match(status[0] ?? '', /^postfix\/postfix-script: the Postfix mail system is running: PID: \d+$/);
    assert.deepEqual(await run('echo $?'), ['0']);
    const log = (await run('cat /var/log/maillog')).join('\n');
    assert.match(log, /postfix\/postfix-script\[\d+\]: starting the Postfix mail system/);
    assert.match(log, /postfix\/master\[\d+\]: daemon started -- version 3\.7\.11, configuration \/etc\/postfix/);
  });

  test('sendmail alice with a typed body and Ctrl-D is delivered to /var/mail/alice', async () => {
    await page.keyboard.type('sendmail alice');
    await page.keyboard.press('Enter');
    for (const line of ['Subject: typed at the terminal', '', 'Hello Alice,', 'this came through sendmail.']) {
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
    }
    const before = await terminalText();
    await page.keyboard.press('Control+D');
    await waitFor('the prompt after Ctrl-D', async () => {
      const text = await terminalText();
      return text.length > before.length && lastLine(text) === 'root@mail:~#' ? text : undefined;
    });
    assert.deepEqual(await run('echo $?'), ['0']);
    // Delivery follows in virtual time paced by the wall clock: poll, bounded.
    const mailbox = await waitFor('the message in /var/mail/alice', async () => {
      const shown = await run('cat /var/mail/alice 2>/dev/null');
      return shown.includes('this came through sendmail.') ? shown : undefined;
    });
    assert.match(mailbox[0] ?? '', /^From root@example\.test {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    assert.ok(mailbox.includes('Subject: typed at the terminal'));
    assert.ok(mailbox.includes('Received: by mail.example.test (Postfix, from userid 0)'));
  });

  test('tail /var/log/maillog shows pickup, cleanup, qmgr and local; mailq is empty', async () => {
    const log = (await run('tail -n 12 /var/log/maillog')).join('\n');
    assert.match(log, /postfix\/pickup\[\d+\]: ([0-9A-F]+): uid=0 from=<root>/);
    const id = /pickup\[\d+\]: ([0-9A-F]+):/.exec(log)![1]!;
    assert.match(log, new RegExp(`postfix/cleanup\\[\\d+\\]: ${id}: message-id=<\\d{14}\\.${id}@mail\\.example\\.test>`));
    assert.match(log, new RegExp(`postfix/qmgr\\[\\d+\\]: ${id}: from=<root@example\\.test>, size=\\d+, nrcpt=1 \\(queue active\\)`));
    assert.match(log, new RegExp(`postfix/local\\[\\d+\\]: ${id}: to=<alice@example\\.test>, orig_to=<alice>, relay=local, delay=[\\d.]+, delays=[\\d./]+, dsn=2\\.0\\.0, status=sent \\(delivered to mailbox\\)`));
    assert.match(log, new RegExp(`postfix/qmgr\\[\\d+\\]: ${id}: removed`));
    assert.deepEqual(await run('mailq'), ['Mail queue is empty']);
  });

  test('bob sends with mail -s after su - bob; alice reads both messages with mail', async () => {
    assert.deepEqual(await run('su - bob'), []);
    assert.equal(lastLine(await terminalText()), 'bob@mail:~$');
    assert.deepEqual(await run('echo "See you at noon." | mail -s "lunch?" alice'), []);
    assert.deepEqual(await run('exit'), ['exit']);
    await waitFor('bob\'s message in alice\'s mailbox', async () => {
      const shown = await run('mail -H -u alice');
      return shown.some((line) => line.includes('lunch?')) ? shown : undefined;
    });
    const listing = await run('mail -u alice', /^&$/);
    assert.equal(listing[0], '"/var/mail/alice": 2 messages 2 new');
    assert.match(listing[1] ?? '', /^>N {2}1 root@example\.test {5}\w{3} \w{3} [ \d]\d \d\d:\d\d +\d+\/\d+ +typed at the terminal$/);
    assert.match(listing[2] ?? '', /^ N {2}2 bob@example\.test {6}\w{3} \w{3} [ \d]\d \d\d:\d\d +\d+\/\d+ +lunch\?$/);
    const message = await run('2', /^&$/);
    assert.equal(message[0], 'Message 2:');
    assert.ok(message.includes('From: Bob Example <bob@example.test>'));
    assert.ok(message.includes('See you at noon.'));
    assert.deepEqual(await run('q'), ['Held 2 messages in /var/mail/alice']);
  });

  test('the page looks right (screenshot) and reported no errors', async () => {
    mkdirSync(resultsDirectory, { recursive: true });
    await page.screenshot({ path: join(resultsDirectory, 'mail.png') });
    assert.deepEqual(session?.problems, []);
  });
});
