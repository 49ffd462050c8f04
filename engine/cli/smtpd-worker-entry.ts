// The entry point of an smtpd worker process when master runs it from a bundle
// (engine-bundle.ts): `node BUNDLE -c DIR` as a node:cluster worker. Without the
// bundle a worker enters through bin/mtalab.mjs __master instead (masterDaemon sees that it
// is a cluster worker). Either way smtpd-worker.ts does the work.

import { resolve } from 'node:path';
import { smtpdWorkerMain } from './smtpd-worker.ts';

const option = process.argv.indexOf('-c');
const directory = option >= 0 ? process.argv[option + 1] : undefined;
if (directory === undefined) {
  process.stderr.write('smtpd worker: usage: -c DIRECTORY\n');
  process.exitCode = 1;
} else {
  process.exitCode = await smtpdWorkerMain(resolve(directory));
}
