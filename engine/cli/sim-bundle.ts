// Loads the simulated world's runtime (sim-runtime.ts) for `mtalab sim` and the sim
// benchmark: from an esbuild bundle of it (engine-bundle.ts, cached by content hash under
// node_modules/.cache/mtalab/) when one can be made, else from the TypeScript sources
// through tsx. The bundle is plain JavaScript without tsx's keepNames `__name` wrapper,
// which otherwise runs for every function and closure the world creates, and it keeps no
// per-module sources and source maps in the heap; the same run costs ~5-10% less CPU and
// ~9 MB less heap (bench/README.md). The bundle is imported into this process: tsx's hooks
// only resolve its few package imports. MTALAB_BUNDLE=0 (or MTALAB_SIM_BUNDLE=0) takes the
// sources. Called by engine/cli/sim.ts and bench/sim-bench.ts.

export type SimRuntime = typeof import('./sim-runtime.ts');

/** How the runtime was loaded, for the benchmark's header line. */
export type SimRuntimeSource = 'bundle' | 'sources';

export async function loadSimRuntime(): Promise<{ runtime: SimRuntime; source: SimRuntimeSource }> {
  if (process.env.MTALAB_SIM_BUNDLE !== '0') {
    const { engineBundles } = await import('./engine-bundle.ts');
    const path = (await engineBundles(['sim-runtime']))['sim-runtime'];
    if (path !== undefined) {
      try {
        return { runtime: await import(path) as SimRuntime, source: 'bundle' };
      } catch {
        // A bundle that fails to load (a package moved meanwhile): the sources still work.
      }
    }
  }
  return { runtime: await import('./sim-runtime.ts'), source: 'sources' };
}
