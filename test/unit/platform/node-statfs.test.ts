// The node platform's statfs (fsspace() for smtpd's queue space check) against an
// independent reading of the same file system: coreutils' `stat -f` (statvfs: fragment
// size and blocks available to an unprivileged user). Free space moves while other jobs
// write, so the two readings must agree within a margin, not exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFileSystem } from '../../../engine/platform/node/fs.ts';
import { PlatformError } from '../../../engine/platform/types.ts';

/** Free space may change between the two readings by this much (other jobs write). */
const FREE_BYTES_DRIFT_MAX = 512 * 1024 * 1024;

test('node statfs: block size and free blocks as statvfs reports them for the same directory', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'mtalab-statfs-'));
  try {
    const space = await createNodeFileSystem().statfs(directory);
    const [blockSizeText, blocksFreeText] = execFileSync('stat', ['-f', '-c', '%S %a', directory], { encoding: 'utf8' }).trim().split(' ');
    assert.equal(space.blockSize, Number(blockSizeText));
    assert.ok(Number.isInteger(space.blocksFree) && space.blocksFree > 0, `blocksFree ${space.blocksFree}`);
    const drift = Math.abs(space.blocksFree - Number(blocksFreeText)) * space.blockSize;
    assert.ok(drift <= FREE_BYTES_DRIFT_MAX, `statfs ${space.blocksFree} vs stat -f ${blocksFreeText} blocks`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('node statfs: a missing directory fails with ENOENT as a PlatformError', async () => {
  await assert.rejects(createNodeFileSystem().statfs('/nonexistent/mtalab-statfs'),
    (error: unknown) => error instanceof PlatformError && error.code === 'ENOENT');
});
