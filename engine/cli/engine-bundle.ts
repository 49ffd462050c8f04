// The code real mode's background processes run, as plain JavaScript files: the master
// (master-entry.ts) and its smtpd workers (smtpd-worker-entry.ts). bin/mtalab.mjs loads the
// TypeScript engine through tsx, whose module hooks run in a thread of their own and keep
// every module's source map: about 30 MB per process before the engine is loaded, the
// engine's modules twice, and esbuild's keepNames wrapper (`__name`) around every function
// and class. So `postfix start` bundles both entries in one esbuild run (tsx's own compiler,
// present wherever tsx is) and starts the master with plain node on its bundle; the master
// forks its workers on theirs. Nothing in engine/ reads a function's or class's name (error
// classes set `name` themselves), so the bundles go without keepNames. Each file is named by
// its content's hash under node_modules/.cache/mtalab/ (resolution of packages from there
// still finds node_modules), so an unchanged tree reuses it; beside it a source map (no
// sources inlined) that node applies to stack traces (BUNDLE_NODE_FLAGS), so that they name
// engine/*.ts lines as under tsx. When esbuild is missing or fails, or MTALAB_BUNDLE=0
// (MTALAB_WORKER_BUNDLE=0 for workers alone), a process runs through bin/mtalab.mjs.
// Called by postfix-daemon.ts and smtpd-workers.ts, and by sim-bundle.ts for the simulated
// world's runtime (`mtalab sim`, the sim benchmark). Trusts esbuild's output.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { sourceRoot } from './source-root.ts';

export const BUNDLE_DIRECTORY = `${sourceRoot}node_modules/.cache/mtalab`;
/** The entry of each bundle, next to this file. */
const ENTRIES = { master: 'master-entry.ts', 'smtpd-worker': 'smtpd-worker-entry.ts', 'sim-runtime': 'sim-runtime.ts' } as const;
export type BundleName = keyof typeof ENTRIES;
/** Node flags for a process that runs a bundle: its stack traces through the source map. */
export const BUNDLE_NODE_FLAGS: readonly string[] = ['--enable-source-maps'];
/** Bundles of other trees (older sources) are removed once this old: a master that runs
 *  one re-forks a worker from it. */
const STALE_BUNDLE_MS = 7 * 24 * 3600_000;
const BUNDLES_MAX = 1000;
const BUNDLE_FILE = /^(master|smtpd-worker|sim-runtime)-[0-9a-f]+\.mjs(\.map)?$/;

/** Removes this directory's bundles older than STALE_BUNDLE_MS, except `keep`. */
function pruneStaleBundles(keep: ReadonlySet<string>): void {
  const now = Date.now();
  for (const name of readdirSync(BUNDLE_DIRECTORY).slice(0, BUNDLES_MAX)) {
    const path = `${BUNDLE_DIRECTORY}/${name}`;
    if (keep.has(path) || !BUNDLE_FILE.test(name)) continue;
    try {
      if (now - statSync(path).mtimeMs > STALE_BUNDLE_MS) unlinkSync(path);
    } catch {
      // Removed meanwhile by another master.
    }
  }
}

/** Writes `contents` to `path` unless there (another process may write the same file). */
function writeOnce(path: string, contents: Uint8Array | string): void {
  if (existsSync(path)) return;
  const temporary = `${path}.${process.pid}`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function disabled(name: BundleName): boolean {
  return process.env.MTALAB_BUNDLE === '0' || (name === 'smtpd-worker' && process.env.MTALAB_WORKER_BUNDLE === '0');
}

/** The paths of the named bundles (one esbuild run for all); a name is missing when its
 *  bundle cannot be made. */
export async function engineBundles(names: readonly BundleName[]): Promise<Partial<Record<BundleName, string>>> {
  const wanted = names.filter((name) => !disabled(name));
  if (wanted.length === 0) return {};
  try {
    const esbuild = await import('esbuild');
    const entryPoints = Object.fromEntries(wanted.map((name) => [name, `${sourceRoot}engine/cli/${ENTRIES[name]}`]));
    // esbuild's service process ends with the build: it would stay this process's child otherwise.
    const result = await esbuild.build({
      entryPoints, outdir: BUNDLE_DIRECTORY, outExtension: { '.js': '.mjs' },
      bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
      sourcemap: 'external', sourcesContent: false, keepNames: false,
      define: { MTALAB_SOURCE_ROOT: JSON.stringify(sourceRoot) }, write: false, logLevel: 'silent',
    }).finally(() => esbuild.stop());
    mkdirSync(BUNDLE_DIRECTORY, { recursive: true });
    const paths: Partial<Record<BundleName, string>> = {};
    const written = new Set<string>();
    for (const name of wanted) {
      const code = result.outputFiles.find((file) => file.path === `${BUNDLE_DIRECTORY}/${name}.mjs`)?.text;
      const map = result.outputFiles.find((file) => file.path === `${BUNDLE_DIRECTORY}/${name}.mjs.map`)?.text;
      if (code === undefined || map === undefined) continue;
      const hash = createHash('sha256').update(code).update(map).digest('hex').slice(0, 16);
      const path = `${BUNDLE_DIRECTORY}/${name}-${hash}.mjs`;
      writeOnce(`${path}.map`, map);
      writeOnce(path, `${code}//# sourceMappingURL=${name}-${hash}.mjs.map\n`);
      paths[name] = path;
      written.add(path).add(`${path}.map`);
    }
    pruneStaleBundles(written);
    return paths;
  } catch {
    return {};
  }
}

/** The smtpd workers' bundle: the one `postfix start` made with master's
 *  (MTALAB_SMTPD_WORKER_BUNDLE, set for master), else a new one; undefined when none can be
 *  made. */
export async function workerBundle(): Promise<string | undefined> {
  if (disabled('smtpd-worker')) return undefined;
  const given = process.env[WORKER_BUNDLE_VARIABLE];
  if (given !== undefined && given !== '' && existsSync(given)) return given;
  return (await engineBundles(['smtpd-worker']))['smtpd-worker'];
}

/** Environment variable with the workers' bundle, from `postfix start` to master. */
export const WORKER_BUNDLE_VARIABLE = 'MTALAB_SMTPD_WORKER_BUNDLE';
