// Vite configuration for the mtalab page (ui/). The app's root is ui/; `vite build` writes
// ui/dist, which `mtalab serve` (engine/cli/serve.ts) serves. The engine runs in a module
// Web Worker, so workers are bundled as ES modules. The worker imports scenario files from
// scenarios/ (outside the root), so the dev server may read the whole repository. Node
// built-ins that memfs needs are replaced by browser stand-ins (ui/src/shims/).

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const repositoryRoot = fileURLToPath(new URL('.', import.meta.url));
const uiRoot = fileURLToPath(new URL('./ui', import.meta.url));
const shim = (name: string): string => fileURLToPath(new URL(`./ui/src/shims/${name}.ts`, import.meta.url));

/** memfs (the simulated hosts' file systems) imports these Node modules; in the page's
 *  bundle they resolve to the small browser stand-ins in ui/src/shims/. */
const nodeModuleShims = [
  { find: /^(node:)?buffer$/, replacement: shim('buffer') },
  { find: /^(node:)?events$/, replacement: shim('events') },
  { find: /^(node:)?path$/, replacement: shim('path') },
  { find: /^(node:)?stream$/, replacement: shim('stream') },
  { find: /^(node:)?url$/, replacement: shim('url') },
  { find: /^(node:)?process$/, replacement: shim('process') },
];

export default defineConfig({
  root: uiRoot,
  base: './',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The engine is large by design; a warning about chunk size would only be noise.
    chunkSizeWarningLimit: 4096,
  },
  resolve: { alias: nodeModuleShims },
  worker: { format: 'es' },
  server: { fs: { allow: [repositoryRoot] } },
});
