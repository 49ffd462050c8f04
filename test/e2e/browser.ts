// The browser side of the e2e tests (test/e2e/*.test.ts that open the page): a `vite build`
// (fresh into a temporary directory, or ui/dist when it is missing), engine/cli/serve.ts on
// a port the system picks, Debian's Chromium through playwright-core (never a downloaded
// browser) with one page whose errors are collected, a bounded poll, and the engine-ready
// wait through window.__mtalab (ui/src/lib/test-hook.ts). close() stops the browser and
// the server and removes a temporary build. Trusts playwright-core and /usr/bin/chromium.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../engine/cli/serve.ts';

export const repositoryRoot = new URL('../..', import.meta.url).pathname;
export const resultsDirectory = join(repositoryRoot, 'test-results');
const distDirectory = join(repositoryRoot, 'ui', 'dist');
const BUILD_TIMEOUT_MS = 180_000;
const LAUNCH_TIMEOUT_MS = 30_000;

const browserArguments = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A served build, a browser and its first page. */
export interface BrowserSession {
  server: RunningServer;
  browser: Browser;
  page: Page;
  /** Page errors and console errors, in order. */
  problems: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A fresh build into a temporary directory with this prefix; without it, ui/dist
   *  (built only when its index.html is missing). */
  freshBuildPrefix?: string;
  viewport: { width: number; height: number };
}

/** Builds (as asked), serves, launches Chromium and opens a page that records problems. */
export async function openBrowserSession(options: OpenOptions): Promise<BrowserSession> {
  let buildDirectory = '';
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const removeBuild = (): void => {
    if (buildDirectory !== '') rmSync(buildDirectory, { recursive: true, force: true });
  };
  try {
    let root = distDirectory;
    if (options.freshBuildPrefix !== undefined) {
      buildDirectory = mkdtempSync(join(tmpdir(), options.freshBuildPrefix));
      root = buildDirectory;
      viteBuild(['--outDir', buildDirectory, '--emptyOutDir']);
    } else if (!existsSync(join(distDirectory, 'index.html'))) {
      viteBuild([]);
    }
    server = await startServer({ root, port: 0 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: browserArguments, timeout: LAUNCH_TIMEOUT_MS });
    const page = await browser.newPage({ viewport: options.viewport });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    const [openServer, openBrowser] = [server, browser];
    return {
      server: openServer, browser: openBrowser, page, problems,
      async close() {
        await openBrowser.close();
        await openServer.close();
        removeBuild();
      },
    };
  } catch (error) {
    await browser?.close();
    await server?.close();
    removeBuild();
    throw error;
  }
}

function viteBuild(extra: readonly string[]): void {
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn', ...extra], {
    cwd: repositoryRoot, stdio: 'inherit', timeout: BUILD_TIMEOUT_MS,
  });
  assert.equal(build.status, 0, 'vite build failed');
}

/** Polls `probe` every pollMs until it returns a value, at most limitMs; otherwise fails
 *  with `what` and what `explain` says of the page at that moment. */
export async function pollFor<T>(
  what: string, probe: () => Promise<T | undefined>,
  timing: { limitMs: number; pollMs: number }, explain: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timing.limitMs;
  for (let attempt = 0; attempt < timing.limitMs / timing.pollMs + 1; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, timing.pollMs));
  }
  throw new Error(`timed out waiting for ${what}; ${await explain().catch(() => '(unreadable)')}`);
}

/** The page's engine state: 'ready' once the hook says ready and every listed terminal
 *  (null: the default host's) ends in a root prompt; 'failed: ...' when the engine failed. */
export function engineState(page: Page, promptHosts: readonly (string | null)[]): Promise<string | undefined> {
  return page.evaluate((hosts) => {
    const hook = window.__mtalab;
    if (hook?.status() === 'failed') return `failed: ${hook.failure()}`;
    const prompts = hosts.every((id) => hook?.terminalText(id ?? undefined).trimEnd().endsWith('#'));
    return hook?.status() === 'ready' && prompts ? 'ready' : undefined;
  }, [...promptHosts]);
}

/** Goes to `url` and waits until engineState is ready; throws at once if it failed. */
export async function openEngine(
  session: BrowserSession, url: string, promptHosts: readonly (string | null)[], gotoTimeoutMs: number,
  what: string, wait: (what: string, probe: () => Promise<string | undefined>) => Promise<string>,
): Promise<void> {
  await session.page.goto(url, { waitUntil: 'load', timeout: gotoTimeoutMs });
  await wait(what, () => engineState(session.page, promptHosts).then((state) => {
    if (state?.startsWith('failed')) throw new Error(`the engine ${state}`);
    return state;
  }));
}

/** The text after the last newline. */
export function lastLineOf(text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1);
}
