// The per-message log format: byte-for-byte against the defer logfile the real Postfix
// 3.7.11 wrote (commands/postcat-defer-logfile.txt), round trips through the reader,
// Postfix's defaults for old-style entries, and the real postcat's opinion of the file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  formatRecipientLogEntry, parseRecipientLog, readRecipientLog, logNameOfPath, type RecipientLogEntry,
} from '../../../engine/global/dsn/recipient-log.ts';
import { createBench, writeOriginal, statusOf } from './helpers.ts';

const REFERENCE = '/work/shared/reference/postfix-3.7/commands/postcat-defer-logfile.txt';

/** The raw defer logfile text printed after "=== raw defer logfile text:". */
function referenceDeferLog(): string {
  const text = readFileSync(REFERENCE, 'utf8');
  const start = text.indexOf('=== raw defer logfile text:\n') + '=== raw defer logfile text:\n'.length;
  const end = text.indexOf('[exit status');
  return text.slice(start, end);
}

const refused = 'connect to 127.0.0.1[127.0.0.1]:10099: Connection refused';
const referenceEntries: RecipientLogEntry[] = [
  { recipient: 'friend2@other.test', offset: 742, dsnOriginalRecipient: 'rfc822;friend2@other.test', dsnNotify: 0,
    status: '4.4.1', action: 'delayed', reason: refused },
  { recipient: 'friend@other.test', offset: 662, dsnOriginalRecipient: 'rfc822;friend@other.test', dsnNotify: 0,
    status: '4.4.1', action: 'delayed', reason: refused },
];

test('two deferred recipients format exactly as the real defer logfile', () => {
  assert.equal(referenceEntries.map(formatRecipientLogEntry).join(''), referenceDeferLog());
});

test('the reference defer logfile reads back into the same entries', () => {
  const parsed = parseRecipientLog(referenceDeferLog(), 'defer');
  assert.deepEqual(parsed.warnings, []);
  assert.deepEqual(parsed.entries, referenceEntries);
});

test('every attribute survives a round trip; orig_rcpt only when it differs', () => {
  const full: RecipientLogEntry = {
    recipient: 'carol@example.com', originalRecipient: 'bob@example.com', offset: 99, dsnOriginalRecipient: 'rfc822;bob@example.com',
    dsnNotify: 6, status: '5.1.1', action: 'failed', diagnosticType: 'smtp', diagnosticText: '550 5.1.1 <carol@example.com>: no such user',
    mtaType: 'dns', mtaName: 'mx.example.com', reason: 'host mx.example.com said: 550 no such user',
  };
  const text = formatRecipientLogEntry(full);
  assert.match(text, /^\n<carol@example.com>: host mx/);
  assert.match(text, /\noriginal_recipient=bob@example.com\n/);
  assert.match(text, /\nnotify_flags=6\n/);
  assert.match(text, /\ndiag_type=smtp\ndiag_text=550 5.1.1/);
  assert.match(text, /\nmta_type=dns\nmta_mname=mx.example.com\n/);
  assert.deepEqual(parseRecipientLog(text, 'bounce').entries, [full]);
  const same = formatRecipientLogEntry({ ...full, originalRecipient: 'CAROL@example.com' });
  assert.doesNotMatch(same, /original_recipient/);
});

test('a quoted local part is written in external form; the null address as <>', () => {
  const text = formatRecipientLogEntry({ recipient: 'john smith@example.com', offset: 0, dsnNotify: 0, status: '5.0.0', action: 'failed', reason: 'x' });
  assert.match(text, /^\n<"john smith"@example.com>: x\nrecipient="john smith"@example.com\n/);
  assert.doesNotMatch(text, /offset=/);
  const empty = formatRecipientLogEntry({ recipient: '', offset: 0, dsnNotify: 0, status: '5.0.0', action: 'failed', reason: 'y' });
  assert.match(empty, /^\n<>: y\nrecipient=<>\n/);
});

test('old-style entries get the defaults of their log; partial and malformed entries as Postfix', () => {
  const old = '\n<a@example.com>: host said no\n\n';
  assert.deepEqual(parseRecipientLog(old, 'defer').entries[0],
    { recipient: 'a@example.com', offset: 0, dsnNotify: 0, status: '4.0.0', action: 'delayed', reason: 'host said no' });
  assert.deepEqual(parseRecipientLog(old, 'bounce').entries[0]?.status, '5.0.0');
  const partial = `${formatRecipientLogEntry(referenceEntries[0] as RecipientLogEntry)}\n<b@x>: cut off\nrecipient=b@x\n`;
  assert.equal(parseRecipientLog(partial, 'defer').entries.length, 1);
  const odd = parseRecipientLog('\nnonsense line\n-dash\nfrobnicate=1\nreason=r\n\n', 'bounce');
  assert.deepEqual(odd.warnings, ['malformed record: missing \'=\' after attribute name', 'malformed record: -dash...',
    'unknown attribute name: frobnicate, ignored']);
  assert.equal(odd.entries[0]?.recipient, '(recipient address unavailable)');
  assert.equal(parseRecipientLog('\n<c@x>: t\nnotify_flags=3\n\n', 'bounce').entries[0]?.dsnNotify, 0);
});

test('the bounce core appends to hashed log paths; readRecipientLog reads them back', async () => {
  const bench = await createBench();
  const { request } = await writeOriginal(bench, { id: '7E5F61681FF', queueName: 'deferred',
    recipients: [{ address: 'friend@other.test' }, { address: 'friend2@other.test' }] });
  for (const index of [1, 0]) {
    await bench.core.append('defer', request.queueId, statusOf(request, index, { dsn: '4.4.1', action: 'delayed', relay: 'none', reason: refused }));
  }
  const path = bench.queuePath('defer', '7E5F61681FF');
  assert.equal(path, '/var/spool/postfix/defer/7/7E5F61681FF');
  assert.equal(logNameOfPath(path), 'defer');
  const parsed = await readRecipientLog(bench.fs, path);
  assert.deepEqual(parsed.entries.map((entry) => [entry.recipient, entry.status, entry.action, entry.reason]),
    [['friend2@other.test', '4.4.1', 'delayed', refused], ['friend@other.test', '4.4.1', 'delayed', refused]]);
  assert.equal((await bench.fs.stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readRecipientLog(bench.fs, bench.queuePath('defer', 'NOSUCHID')), { entries: [], warnings: [] });
});

test('the real postcat treats a log file as Postfix\'s own (not a queue file)', { skip: !existsSync('/usr/sbin/postcat') }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-bounce-'));
  try {
    writeFileSync(join(directory, 'main.cf'), 'compatibility_level = 3.6\n');
    const path = join(directory, '7E5F61681FF');
    writeFileSync(path, referenceEntries.map(formatRecipientLogEntry).join(''));
    const result = spawnSync('/usr/sbin/postcat', ['-c', directory, path], { encoding: 'utf8', timeout: 10_000, argv0: 'postcat' });
    assert.equal(result.status, 0);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `postcat: warning: ${path}: input is not a valid queue file\n`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
