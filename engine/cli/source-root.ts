// The checkout's root directory (the one holding bin/ and engine/), for the paths real mode
// starts processes from. Under tsx it follows from this module's own URL; in a bundle
// (engine-bundle.ts) import.meta.url names the bundle under node_modules/.cache/mtalab/,
// so the bundler defines MTALAB_SOURCE_ROOT instead.
// Called by engine-bundle.ts, smtpd-workers.ts and postfix-daemon.ts.

import { fileURLToPath } from 'node:url';

declare const MTALAB_SOURCE_ROOT: string | undefined;

/** The root directory, ending in a slash. */
export const sourceRoot: string = typeof MTALAB_SOURCE_ROOT === 'string'
  ? MTALAB_SOURCE_ROOT
  : fileURLToPath(new URL('../../', import.meta.url));

/** bin/mtalab.mjs: the command through tsx, which every bundle falls back to. */
export const binPath = `${sourceRoot}bin/mtalab.mjs`;
