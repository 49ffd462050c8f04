// Runs the FileSystem conformance suite on both platforms: sim (memfs) and node (a temporary
// directory under the OS temp dir, removed afterwards).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSystemConformance } from './fs-conformance.ts';
import { createSimPlatform } from '../../../engine/platform/sim/index.ts';
import { createNodePlatform } from '../../../engine/platform/node/index.ts';

fileSystemConformance('sim', async () => {
  const platform = createSimPlatform({ hostName: 'conformance', seed: 1 });
  await platform.fs.mkdir('/work', { recursive: true });
  return { fs: platform.fs, root: '/work', cleanup: async () => undefined };
});

fileSystemConformance('node', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mtalab-fs-'));
  const platform = createNodePlatform({ seed: 1, dnsOffline: true });
  return { fs: platform.fs, root, cleanup: () => rm(root, { recursive: true, force: true }) };
});
