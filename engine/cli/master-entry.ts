// The entry point of real mode's background master when `postfix start` runs it from a
// bundle (engine-bundle.ts): `node BUNDLE -c DIR`, with the IPC channel spawnMaster opens.
// Without the bundle master enters through bin/mtalab.mjs __master instead; either way
// postfix-daemon.ts's masterDaemon does the work.

import { masterDaemon } from './postfix-daemon.ts';

process.exitCode = await masterDaemon(process.argv.slice(2));
