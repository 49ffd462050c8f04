// Pipeline interop, the queue: the same submissions through a private real Postfix 3.7.11
// instance and through mtalab with the same main.cf, then the queue tools on each side:
// `postqueue -p` after a deferral (defer_transports and a retry: transport), `qshape`, the
// real `postcat` reading each side's deferred and held queue files, and hold/release with
// `postsuper -h`/`-H` (a held message released and delivered after `postqueue -f`).
// Needs root and the real Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureLocalUsers, waitFor } from './real-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { realPostcat, runSuite, type PipelineCase, type PipelineSpec, type Side } from './pipeline-compare.ts';
import { normaliseListing, normaliseText, type NormaliseContext } from './pipeline-normalise.ts';

const USERS = ['mtalabfay'];

const spec: PipelineSpec = {
  mainCf: `defer_transports = smtp
transport_maps = hash:@DIR@/etc/transport
header_checks = regexp:@DIR@/etc/header_checks
`,
  files: {
    'etc/transport': 'retrydomain.test retry:4.3.2 try again later\n',
    'etc/header_checks': '/^Subject: hold me/ HOLD held for review\n',
  },
  postmap: ['hash:@DIR@/etc/transport'],
};

const message = (subject: string): string => `Subject: ${subject}\n\nThe body of ${subject}.\n`;

/** Waits (bounded) until a queue holds `count` files. */
async function waitForQueueCount(side: Side, queue: string, count: number): Promise<void> {
  let now = (await side.queueIds(queue)).length;
  for (let round = 0; round < 100 && now !== count; round++) {
    await waitFor(() => false, 100);
    now = (await side.queueIds(queue)).length;
  }
}

async function tool(side: Side, argv: string[], context: NormaliseContext): Promise<string> {
  const result = await side.command(argv);
  return normaliseText(`${normaliseListing(result.stdout, context.maskSizes)}${result.stderr}exit ${result.status}`, context);
}

async function postcatOf(side: Side, queue: string, context: NormaliseContext): Promise<string> {
  const ids = await side.queueIds(queue);
  if (ids.length !== 1) return `(${ids.length} files in ${queue})`;
  return normaliseText(realPostcat(await side.queueFile(queue, ids[0]!)), context);
}

const cases: PipelineCase[] = [
  {
    name: 'deferral (defer_transports)',
    submissions: [{ argv: ['someone@remote.example.test', 'other@remote.example.test'], message: message('deferred') }],
    after: async (side, context) => {
      const normal = await context();
      const result = {
        'postqueue -p': await tool(side, ['postqueue', '-p'], normal),
        'qshape': await tool(side, ['qshape'], normal),
        'qshape -s deferred': await tool(side, ['qshape', '-s', 'deferred'], normal),
        'real postcat -v of the deferred file': await postcatOf(side, 'deferred', normal),
        'postsuper -h ALL': await tool(side, ['postsuper', '-h', 'ALL'], normal),
        'postqueue -p (held)': await tool(side, ['postqueue', '-p'], normal),
        'real postcat -v of the held file': await postcatOf(side, 'hold', normal),
        'postsuper -H ALL': await tool(side, ['postsuper', '-H', 'ALL'], normal),
        'postqueue -p (released)': await tool(side, ['postqueue', '-p'], normal),
        'postsuper -d ALL': await tool(side, ['postsuper', '-d', 'ALL'], normal),
      };
      return result;
    },
  },
  {
    name: 'deferral (retry: transport)',
    submissions: [{ argv: ['someone@retrydomain.test'], message: message('retry') }],
    after: async (side, context) => {
      const normal = await context();
      return {
        'postqueue -p': await tool(side, ['postqueue', '-p'], normal),
        'postsuper -d ALL deferred': await tool(side, ['postsuper', '-d', 'ALL', 'deferred'], normal),
      };
    },
  },
  {
    name: 'hold by header_checks, release with postsuper -H, flush',
    submissions: [{ argv: ['mtalabfay'], message: message('hold me') }],
    after: async (side, context) => {
      const before = await context();
      const held = await tool(side, ['postqueue', '-p'], before);
      const release = await tool(side, ['postsuper', '-H', 'ALL'], before);
      const flush = await side.command(['postqueue', '-f']);
      await waitForQueueCount(side, 'deferred', 0);
      await side.waitForQueue();
      return { 'postqueue -p (held)': held, 'postsuper -H ALL': release, 'postqueue -f': `${flush.stdout}${flush.stderr}exit ${flush.status}` };
    },
  },
];

test('pipeline interop: deferral, postqueue -p, qshape, postcat of queue files, hold and release', { timeout: 300_000 }, async () => {
  hasRealCommand('postfix');
  ensureLocalUsers(USERS);
  const differing = await runSuite('the queue and its tools', spec, USERS, cases, ['@DIR@/mail']);
  assert.deepEqual(differing, []);
});
