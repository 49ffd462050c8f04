// Tests for `mtalab serve` (engine/cli/serve.ts): content types, path traversal, methods,
// the missing-build message, and the command's life cycle (prints its URL, stops on
// SIGTERM). Serves a temporary directory, never the real ui/dist, so it runs without a
// build. Network only on 127.0.0.1, on ports the system picks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, parseServeArguments, resolveRequestPath, type RunningServer } from '../../engine/cli/serve.ts';

const repositoryRoot = new URL('../..', import.meta.url).pathname;
let workDirectory: string;
let root: string;
let server: RunningServer;

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** One raw HTTP request: the path goes out exactly as given, unnormalised. */
function fetchRaw(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolveAnswer, rejectAnswer) => {
    const outgoing = request({ host: '127.0.0.1', port, path, method, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolveAnswer({
        status: response.statusCode ?? 0,
        contentType: response.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`timeout on ${path}`)));
    outgoing.on('error', rejectAnswer);
    outgoing.end();
  });
}

before(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), 'mtalab-serve-'));
  root = join(workDirectory, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(join(root, 'assets', 'engine.worker-abc.js'), 'self.postMessage(1);');
  await writeFile(join(root, 'assets', 'index-abc.css'), 'body{}');
  await writeFile(join(root, 'assets', 'module.wasm'), new Uint8Array([0, 97, 115, 109]));
  await writeFile(join(workDirectory, 'secret.txt'), 'outside the root');
  await symlink(join(workDirectory, 'secret.txt'), join(root, 'escape.txt'));
  server = await startServer({ root, port: 0 });
});

after(async () => {
  await server?.close();
  await rm(workDirectory, { recursive: true, force: true });
});

test('serves the page and assets with their content types', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await fetchRaw(server.port, '/');
  assert.equal(page.status, 200);
  assert.equal(page.contentType, 'text/html; charset=utf-8');
  assert.match(page.body, /<title>page<\/title>/);
  const script = await fetchRaw(server.port, '/assets/engine.worker-abc.js?worker_file&type=module');
  assert.equal(script.status, 200);
  assert.equal(script.contentType, 'text/javascript; charset=utf-8');
  assert.equal((await fetchRaw(server.port, '/assets/index-abc.css')).contentType, 'text/css; charset=utf-8');
  assert.equal((await fetchRaw(server.port, '/assets/module.wasm')).contentType, 'application/wasm');
  assert.equal((await fetchRaw(server.port, '/index.html', 'HEAD')).status, 200);
});

test('refuses paths outside the root, whatever their spelling', async () => {
  const attempts = [
    '/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/escape.txt', '/index.html%00.js',
    '/%', '/nothing-here.js', `/${'a'.repeat(5000)}`,
  ];
  for (const path of attempts) {
    const answer = await fetchRaw(server.port, path);
    assert.equal(answer.status, 404, `${path} answered ${answer.status}`);
    assert.doesNotMatch(answer.body, /outside the root/);
  }
  assert.equal(await resolveRequestPath(root, '/../../etc/passwd'), undefined);
});

test('answers only GET and HEAD', async () => {
  const answer = await fetchRaw(server.port, '/', 'POST');
  assert.equal(answer.status, 405);
});

test('parses its options', () => {
  assert.deepEqual(parseServeArguments([]), { port: 5180, address: '127.0.0.1' });
  assert.deepEqual(parseServeArguments(['--port', '0', '--host=::1']), { port: 0, address: '::1' });
  assert.match(String(parseServeArguments(['--port', 'x'])), /bad port: x/);
  assert.match(String(parseServeArguments(['--verbose'])), /unknown option --verbose/);
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mtalab serve` (bin/mtalab.mjs) as a child process; `onStdout` may stop it once it
 *  has printed its URL. */
function runServe(argv: string[], onStdout?: (text: string, stop: () => void) => void): Promise<Finished> {
  return new Promise((resolveFinished, rejectFinished) => {
    const child = spawn(process.execPath, ['bin/mtalab.mjs', 'serve', ...argv], {
      cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      onStdout?.(stdout, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('error', rejectFinished);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolveFinished({ code, stdout, stderr });
    });
  });
}

test('mtalab serve prints its URL, serves, and stops on SIGTERM', async () => {
  let fetched: Answer | undefined;
  let stopping = false;
  const finished = await runServe(['--port', '0', '--root', root], (text, stop) => {
    const match = /mtalab: serving on http:\/\/127\.0\.0\.1:(\d+)\/\n/.exec(text);
    if (match === null || stopping) return;
    stopping = true;
    fetchRaw(Number(match[1]), '/').then((answer) => { fetched = answer; }).finally(stop);
  });
  assert.equal(finished.code, 0, finished.stderr);
  assert.equal(fetched?.status, 200);
  assert.match(finished.stdout, /mtalab: stopped \(SIGTERM\)/);
});

test('mtalab serve tells to build when there is no built page', async () => {
  const finished = await runServe(['--port', '0', '--root', join(workDirectory, 'missing')]);
  assert.equal(finished.code, 1);
  assert.match(finished.stderr, /run `npm run build`/);
});
