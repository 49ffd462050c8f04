// Pipeline interop, local and virtual delivery: the same submissions through a private real
// Postfix 3.7.11 instance and through mtalab with the same main.cf, compared after
// normalising (pipeline-normalise.ts): who received what (mbox, Maildir, files, with the
// added headers), the maillog lines of each message, and the DSN fields of the bounces.
// Cases: a local user (mbox), an alias to two users, :include:, a /file alias, .forward, an
// unknown user, a virtual alias domain, a virtual mailbox domain (Maildir and mbox),
// relocated, header_checks REJECT and HOLD, canonical + masquerade, message_size_limit and
// the error transport. Needs root (test users via useradd) and the real Postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureLocalUsers, run } from './real-instance.ts';
import { normaliseListing, normaliseText } from './pipeline-normalise.ts';
import { realPostcat } from './pipeline-compare.ts';
import { hasRealCommand } from './real-postfix.ts';
import { runSuite, type PipelineCase, type PipelineSpec } from './pipeline-compare.ts';

const USERS = ['mtalabalice', 'mtalabbob', 'mtalabcarol'];

function uidOf(name: string): string {
  return run(['getent', 'passwd', name]).stdout.split(':')[2] ?? '';
}

function spec(): PipelineSpec {
  const uid = uidOf('mtalabalice');
  return {
    mainCf: `virtual_alias_domains = valias.example.test
virtual_alias_maps = hash:@DIR@/etc/virtual
virtual_mailbox_domains = vmail.example.test
virtual_mailbox_base = @DIR@/vmail
virtual_mailbox_maps = hash:@DIR@/etc/vmailbox
virtual_uid_maps = static:${uid}
virtual_gid_maps = static:${uid}
virtual_minimum_uid = 100
relocated_maps = hash:@DIR@/etc/relocated
canonical_maps = hash:@DIR@/etc/canonical
sender_canonical_maps = hash:@DIR@/etc/sender_canonical
masquerade_domains = example.test
header_checks = regexp:@DIR@/etc/header_checks
message_size_limit = 20000
transport_maps = hash:@DIR@/etc/transport
`,
    files: {
      'etc/aliases': `postmaster: root
MAILER-DAEMON: postmaster
sales: mtalabalice, mtalabbob
team: :include:@DIR@/etc/team.list
archive: @DIR@/mail/archive.mbox
`,
      'etc/team.list': 'mtalabbob\nmtalabcarol\n',
      'etc/virtual': 'info@valias.example.test mtalabalice\nsupport@valias.example.test mtalabbob@example.test, mtalabcarol\n',
      'etc/vmailbox': 'dora@vmail.example.test vmail.example.test/dora/\nerin@vmail.example.test vmail.example.test/erin\n',
      'etc/relocated': 'gone@example.test newplace@elsewhere.test\n',
      'etc/canonical': 'bobby@example.test mtalabbob@example.test\n',
      'etc/sender_canonical': 'mtalabbob@example.test bob.builder@example.test\n',
      'etc/header_checks': '/^Subject: reject me/ REJECT no thanks\n/^Subject: hold me/ HOLD held for review\n',
      'etc/transport': 'errordomain.test error:5.7.1 no mail here for you\n',
    },
    postmap: ['hash:@DIR@/etc/virtual', 'hash:@DIR@/etc/vmailbox', 'hash:@DIR@/etc/relocated', 'hash:@DIR@/etc/canonical', 'hash:@DIR@/etc/sender_canonical', 'hash:@DIR@/etc/transport'],
    directories: ['vmail'],
    homeFiles: { '~mtalabcarol/.forward': '\\mtalabcarol, mtalabalice\n' },
  };
}

const message = (subject: string, extra = ''): string => `${extra}Subject: ${subject}\n\nThe body of ${subject}.\n`;

const cases: PipelineCase[] = [
  { name: 'local user (mbox)', submissions: [{ argv: ['-f', 'mtalabbob@example.test', 'mtalabalice'], message: message('local mbox') }] },
  { name: 'alias to two users', submissions: [{ argv: ['sales@example.test'], message: message('alias two') }] },
  { name: ':include:', submissions: [{ argv: ['team@example.test'], message: message('include') }] },
  { name: '/file alias', submissions: [{ argv: ['archive'], message: message('file alias') }] },
  { name: '.forward', submissions: [{ argv: ['mtalabcarol@example.test'], message: message('dot forward') }] },
  { name: 'unknown user bounce', submissions: [{ argv: ['nosuch@example.test'], message: message('unknown user') }] },
  { name: 'virtual alias domain', submissions: [{ argv: ['info@valias.example.test', 'support@valias.example.test'], message: message('virtual alias') }] },
  { name: 'virtual mailbox (Maildir and mbox)', submissions: [{ argv: ['dora@vmail.example.test', 'erin@vmail.example.test'], message: message('virtual mailbox') }] },
  { name: 'relocated', submissions: [{ argv: ['gone@example.test'], message: message('relocated') }] },
  { name: 'header_checks REJECT', submissions: [{ argv: ['mtalabalice'], message: message('reject me') }] },
  {
    name: 'header_checks HOLD',
    submissions: [{ argv: ['mtalabalice'], message: message('hold me') }],
    after: async (side, context) => {
      const listing = await side.command(['postqueue', '-p']);
      const held = await side.queueIds('hold');
      // Postfix's own postcat reads each side's held queue file.
      const postcat = held.length === 1 ? realPostcat(await side.queueFile('hold', held[0]!)) : '(no single held file)';
      const removed = await side.command(['postsuper', '-d', 'ALL', 'hold']);
      return { 'held messages': String(held.length), 'postsuper -d ALL hold': `${removed.stderr}exit ${removed.status}`, 'postqueue -p (held)': normaliseListing(listing.stdout, (await context()).maskSizes), 'real postcat -v of the held file': normaliseText(postcat, await context()) };
    },
  },
  {
    name: 'canonical + masquerade',
    submissions: [{ argv: ['-f', 'mtalabcarol@sub.example.test', 'bobby@example.test'], message: message('canonical', 'From: Carol <mtalabcarol@host1.sub.example.test>\nTo: bobby@example.test\nCc: someone@sub.example.test, other@example.test\n') }],
  },
  { name: 'message_size_limit', submissions: [{ argv: ['mtalabalice'], message: message('too big', `X-Filler: ${'x'.repeat(900)}\n`.repeat(25)) }] },
  { name: 'error transport', submissions: [{ argv: ['someone@errordomain.test'], message: message('error transport') }] },
];

test('pipeline interop: local and virtual delivery, aliases, bounces, cleanup rewriting and checks', { timeout: 600_000 }, async () => {
  hasRealCommand('postfix');
  ensureLocalUsers(USERS);
  const differing = await runSuite('local and virtual delivery', spec(), USERS, cases, ['@DIR@/mail', '@DIR@/vmail']);
  assert.deepEqual(differing, []);
});
