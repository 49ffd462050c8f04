// Vite configuration for the mtalab page (ui/). The app's root is ui/; `vite build` writes
// ui/dist, which `mtalab serve` (engine/cli/serve.ts) serves. The engine runs in a module
// Web Worker, so workers are bundled as ES modules. The worker imports scenario files from
// scenarios/ (outside the root), so the dev server may read the whole repository. Node
// built-ins that memfs needs come from vite-plugin-node-polyfills (CONVENTIONS.md rule 17:
// a well-kept library rather than stand-ins of our own), in the worker's bundle as well as
// the page's.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { nodePolyfills } from 'vite-plugin-node-polyfills';

const repositoryRoot = fileURLToPath(new URL('.', import.meta.url));
const uiRoot = fileURLToPath(new URL('./ui', import.meta.url));

/** The Node modules memfs (the simulated hosts' file systems) imports, and the globals
 *  it expects; `node:` imports resolve too. */
const nodeBuiltins = () => nodePolyfills({
  include: ['buffer', 'events', 'path', 'stream', 'url', 'process'],
  globals: { Buffer: true, global: true, process: true },
  protocolImports: true,
});

/** engine/pipe imports the admin command table lazily to break an import cycle (admin ->
 *  master -> pipe -> admin); the bundle is one chunk anyway, so the bundler's note that the
 *  dynamic import does not split it is noise on every `npm start`. */
const quietLazyImports = {
  onwarn(warning: { code?: string }, warn: (warning: never) => void) {
    if (warning.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
    warn(warning as never);
  },
};

export default defineConfig({
  root: uiRoot,
  base: './',
  plugins: [svelte({ configFile: false }), nodeBuiltins()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The engine is large by design; a warning about chunk size would only be noise.
    chunkSizeWarningLimit: 4096,
    rollupOptions: quietLazyImports,
  },
  worker: { format: 'es', plugins: () => [nodeBuiltins()] },
  server: { fs: { allow: [repositoryRoot] } },
});
