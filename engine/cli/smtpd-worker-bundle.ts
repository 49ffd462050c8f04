// The code an smtpd worker process runs, as one plain JavaScript file. bin/mtalab.mjs loads
// the TypeScript engine through tsx, whose module hooks run in a thread of their own and
// keep every module's source map: about 30 MB per process before the engine is loaded, and
// the engine's modules twice. A worker is only smtpd, cleanup and trivial-rewrite, so
// master bundles smtpd-worker-entry.ts with esbuild (tsx's own compiler, present wherever
// tsx is) when it starts workers, and forks them on that file with plain node. The file is
// named by its content's hash under node_modules/.cache/mtalab/ (resolution of packages
// from there still finds node_modules), so an unchanged tree reuses it. When esbuild is
// missing or fails, workers run through bin/mtalab.mjs as master does.
// Called by smtpd-workers.ts. Trusts esbuild's output.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = fileURLToPath(new URL('./smtpd-worker-entry.ts', import.meta.url));
export const WORKER_BUNDLE_DIRECTORY = `${root}node_modules/.cache/mtalab`;
/** Bundles of other trees (older sources) are removed once this old: a master that runs
 *  one re-forks a worker from it. */
const STALE_BUNDLE_MS = 7 * 24 * 3600_000;
const BUNDLES_MAX = 1000;

/** Removes this directory's worker bundles older than STALE_BUNDLE_MS. */
function pruneStaleBundles(keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(WORKER_BUNDLE_DIRECTORY).slice(0, BUNDLES_MAX)) {
    const path = `${WORKER_BUNDLE_DIRECTORY}/${name}`;
    if (path === keep || !/^smtpd-worker-[0-9a-f]+\.mjs$/.test(name)) continue;
    try {
      if (now - statSync(path).mtimeMs > STALE_BUNDLE_MS) unlinkSync(path);
    } catch {
      // Removed meanwhile by another master.
    }
  }
}

/** The bundle's path, or undefined when it cannot be made. */
export async function workerBundle(): Promise<string | undefined> {
  if (process.env.MTALAB_WORKER_BUNDLE === '0') return undefined;
  try {
    const esbuild = await import('esbuild');
    // esbuild's service process ends with the build: it would stay master's child otherwise.
    const result = await esbuild.build({
      entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      packages: 'external', write: false, logLevel: 'silent',
    }).finally(() => esbuild.stop());
    const code = result.outputFiles[0]?.contents;
    if (code === undefined) return undefined;
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const path = `${WORKER_BUNDLE_DIRECTORY}/smtpd-worker-${hash}.mjs`;
    if (!existsSync(path)) {
      mkdirSync(WORKER_BUNDLE_DIRECTORY, { recursive: true });
      const temporary = `${path}.${process.pid}`;
      writeFileSync(temporary, code);
      renameSync(temporary, path);
      pruneStaleBundles(path);
    }
    return path;
  } catch {
    return undefined;
  }
}
