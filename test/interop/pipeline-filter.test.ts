// Pipeline interop, content_filter: the same submission through a private real Postfix
// 3.7.11 and through mtalab with `content_filter = retry:4.3.2 ...` in main.cf. pickup sends
// the filter to cleanup ahead of the maildrop envelope, so the queue file carries a
// content_filter record right after its size record; qmgr then gives every recipient to the
// filter's transport (here the retry transport, which defers with the nexthop's text). The
// maillog lines, `postqueue -p` and the real `postcat -v` of the deferred file are compared.
// Needs root and the real Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureLocalUsers } from './real-instance.ts';
import { hasRealCommand } from './real-postfix.ts';
import { realPostcat, runSuite, type PipelineCase, type PipelineSpec, type Side } from './pipeline-compare.ts';
import { normaliseListing, normaliseText, type NormaliseContext } from './pipeline-normalise.ts';

const USERS = ['mtalabfay'];

const spec: PipelineSpec = {
  mainCf: 'content_filter = retry:4.3.2 filter is away\n',
};

async function postcatOfDeferred(side: Side, context: NormaliseContext): Promise<string> {
  const ids = await side.queueIds('deferred');
  if (ids.length !== 1) return `(${ids.length} files in deferred)`;
  return normaliseText(realPostcat(await side.queueFile('deferred', ids[0]!)), context);
}

const cases: PipelineCase[] = [
  {
    name: 'content_filter sends a local recipient to the filter transport',
    submissions: [{ argv: ['mtalabfay'], message: 'Subject: filtered\n\nTo the filter first.\n' }],
    after: async (side, context) => {
      const normal = await context();
      const listing = await side.command(['postqueue', '-p']);
      return {
        'postqueue -p': normaliseText(`${normaliseListing(listing.stdout, normal.maskSizes)}${listing.stderr}exit ${listing.status}`, normal),
        'real postcat -v of the deferred file': await postcatOfDeferred(side, normal),
      };
    },
  },
];

test('pipeline interop: content_filter record and delivery to the filter transport', { timeout: 300_000 }, async () => {
  hasRealCommand('postfix');
  ensureLocalUsers(USERS);
  const differing = await runSuite('content_filter', spec, USERS, cases, ['@DIR@/mail']);
  assert.deepEqual(differing, []);
});
