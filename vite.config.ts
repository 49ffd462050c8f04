// Vite configuration for the mtalab page (ui/). The app's root is ui/; `vite build` writes
// ui/dist, which `mtalab serve` (engine/cli/serve.ts) serves. The engine runs in a module
// Web Worker, so workers are bundled as ES modules. The worker imports scenario files from
// scenarios/ (outside the root), so the dev server may read the whole repository.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const repositoryRoot = fileURLToPath(new URL('.', import.meta.url));
const uiRoot = fileURLToPath(new URL('./ui', import.meta.url));

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
  worker: { format: 'es' },
  server: { fs: { allow: [repositoryRoot] } },
});
