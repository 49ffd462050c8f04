// Dialog fidelity: replays the SMTP dialogs recorded against the real Postfix 3.7.11
// (shared/reference/postfix-3.7/smtp/NN-*.txt and the smtpchat sessions in logs/*.log)
// against an mtalab sim host configured alike (ref1's main.cf plus each recording's
// changes, ref1's map files at their recorded paths), with the same client script
// (smtp/scripts/*.chat run by test/unit/smtpd/chat.ts as smtpchat.py runs them), and
// compares the transcripts line by line (queue ids normalised). Prints "smtp dialogs: N/M
// equal" and fails for every dialog that differs, showing the first difference.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatClient, createSmtpHost, runChat } from '../unit/smtpd/chat.ts';

const REFERENCE = '/work/shared/reference/postfix-3.7';
const SMTP = join(REFERENCE, 'smtp');
const SCRIPTS = join(SMTP, 'scripts');
const ETC = join(REFERENCE, 'etc');

/** ref1's map files, at the paths the recorded main.cf changes name. */
function ref1Files(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(ETC)) {
    if (name.startsWith('ref1-') && !name.includes('main.cf') && !name.includes('master.cf')) {
      files[`/opt/pfref/ref1/etc/${name.slice('ref1-'.length)}`] = readFileSync(join(ETC, name), 'utf8');
    }
  }
  return files;
}

/** The "+name = value" lines of a recording's main.cf diff. */
function settingsOf(text: string): Record<string, string> {
  const settings: Record<string, string> = {};
  const start = text.indexOf('### main.cf changes');
  const end = text.indexOf('### ', start + 4);
  for (const line of text.slice(start, end).split('\n')) {
    const match = /^\+([a-z0-9_]+) = (.*)$/.exec(line);
    if (match !== null) settings[match[1] as string] = match[2] as string;
  }
  return settings;
}

/** The lines compared: replies and commands, queue ids normalised; client-side error
 *  markers and elided body lines are left out. */
function normalise(lines: readonly string[]): string[] {
  return lines
    .filter((line) => line.startsWith('S: ') || line.startsWith('C: '))
    .filter((line) => !/^C: x{76}$/.test(line))
    .map((line) => line.replace(/queued as [0-9A-Za-z]+/, 'queued as QUEUEID'));
}

interface Dialog {
  name: string;
  settings: Record<string, string>;
  expected: string[];
  run(host: Awaited<ReturnType<typeof createSmtpHost>>): Promise<string[]>;
}

/** smtp/NN-*.txt with a .chat script. */
function smtpDialogs(): Dialog[] {
  const dialogs: Dialog[] = [];
  for (const file of readdirSync(SMTP).filter((name) => /^\d\d[a-z]?-.*\.txt$/.test(name)).sort()) {
    const base = file.replace(/\.txt$/, '');
    const text = readFileSync(join(SMTP, file), 'utf8');
    const transcriptStart = text.indexOf('### transcript');
    const transcriptEnd = text.indexOf('### maillog', transcriptStart);
    if (transcriptStart < 0 || transcriptEnd < 0) continue;
    const expected = text.slice(text.indexOf('\n', transcriptStart) + 1, transcriptEnd).split('\n');
    const chat = join(SCRIPTS, `${base}.chat`);
    if (existsSync(chat)) {
      const script = readFileSync(chat, 'utf8');
      dialogs.push({ name: base, settings: settingsOf(text), expected, run: (host) => runChat(host, script) });
    } else if (base.startsWith('03b') || base.startsWith('03c')) {
      dialogs.push({ name: base, settings: settingsOf(text), expected, run: talkBeforeGreeting });
    }
  }
  return dialogs;
}

/** scripts/03b-talk-before-greeting.py: the burst goes out at connect time, so it is at the
 *  server before smtpd looks for early input (ConnectOptions.earlyData). */
async function talkBeforeGreeting(host: Awaited<ReturnType<typeof createSmtpHost>>): Promise<string[]> {
  const burst = ['EHLO early.remote.test', 'MAIL FROM:<sender@remote.test>', 'RCPT TO:<alice@example.com>', 'QUIT'];
  const client = await ChatClient.connect(host, undefined, undefined, new TextEncoder().encode(burst.map((line) => `${line}\r\n`).join('')));
  for (let count = 0; count < 30 && !client.closed; count++) {
    if ((await client.reply(5000)).length === 0) break;
  }
  client.close();
  await host.run({ quietMs: 3000 });
  return client.transcript.filter((line) => !line.startsWith('['));
}

/** The smtpchat sessions of logs/*.log: the command's invocations paired with the output's
 *  sessions in order. */
function logDialogs(): Dialog[] {
  const dialogs: Dialog[] = [];
  for (const file of ['n-message-size-limit.log', 'n2-size-quirk-and-nonsmtp-command.log', 'o-smtpd-recipient-limit.log',
    'p-smtpd-restrictions.log', 'p2-sender-access-first.log', 'p3-delay-reject-no.log', 'q-header-checks.log']) {
    const text = readFileSync(join(REFERENCE, 'logs', file), 'utf8');
    const command = text.slice(text.indexOf('### command:'), text.indexOf('### command output:'));
    const invocations = [...command.matchAll(/(?:SMTPCHAT_SRC=(\$src|[\d.]+) )?python3 \$REF\/scripts\/smtpchat.py \S+ \d+ \$REF\/smtp\/scripts\/(\$c|[\w-]+)\.chat/g)];
    const output = text.slice(text.indexOf('### command output:'), text.indexOf('### maillog'));
    // Sessions are separated by "=== session ..." and "----" lines.
    const sessions: string[][] = [];
    let current: string[] = [];
    for (const line of [...output.split('\n').slice(1), '----']) {
      if (line.startsWith('=== ') || line === '----') {
        if (current.some((entry) => entry.startsWith('S: ') || entry.startsWith('C: '))) sessions.push(current);
        current = [];
      } else {
        current.push(line);
      }
    }
    // A "postconf -e" between sessions: earlier sessions ran without that setting.
    const laterSettings = [...command.matchAll(/postconf -c \S+ -e '([a-z0-9_]+) = [^']*'/g)].map((match) => ({ name: match[1] as string, at: match.index ?? 0 }));
    // Expand the shell loops of logs/p*: "for c in A B ...; do ... $c.chat" and "for src in X Y".
    const expanded: Array<{ script: string; source?: string; settings: Record<string, string> }> = [];
    for (const invocation of invocations) {
      const scriptName = invocation[2] as string;
      const at = invocation.index ?? 0;
      const settings = settingsOf(text);
      for (const later of laterSettings) if (later.at > at) delete settings[later.name];
      if (scriptName === '$c') {
        const loop = /for c in ([\w\s-]+); do/.exec(command);
        for (const name of (loop?.[1] ?? '').trim().split(/\s+/)) expanded.push({ script: name, settings });
      } else if (invocation[1] === '$src') {
        const loop = /for src in ([\d.\s]+); do/.exec(command);
        for (const source of (loop?.[1] ?? '').trim().split(/\s+/)) expanded.push({ script: scriptName, source, settings });
      } else {
        expanded.push({ script: scriptName, settings, ...(invocation[1] === undefined ? {} : { source: invocation[1] }) });
      }
    }
    expanded.forEach((entry, index) => {
      const expected = sessions[index];
      if (expected === undefined) return;
      const script = readFileSync(join(SCRIPTS, `${entry.script}.chat`), 'utf8');
      dialogs.push({
        name: `${file.replace(/\.log$/, '')}/${entry.script}${entry.source === undefined ? '' : `@${entry.source}`}`,
        settings: entry.settings, expected,
        run: (host) => runChat(host, script, entry.source === undefined ? {} : { localAddress: entry.source }),
      });
    });
  }
  return dialogs;
}

const dialogs = [...smtpDialogs(), ...logDialogs()];
const results: Array<{ name: string; equal: boolean }> = [];

for (const dialog of dialogs) {
  test(`dialog ${dialog.name}`, async () => {
    const host = await createSmtpHost({ settings: dialog.settings, files: ref1Files() });
    try {
      const actual = normalise(await dialog.run(host));
      const expected = normalise(dialog.expected);
      results.push({ name: dialog.name, equal: JSON.stringify(actual) === JSON.stringify(expected) });
      assert.deepEqual(actual, expected);
    } finally {
      await host.stop();
    }
  });
}

test('summary', () => {
  const equal = results.filter((result) => result.equal).length;
  console.log(`smtp dialogs: ${equal}/${dialogs.length} equal`);
  for (const result of results.filter((entry) => !entry.equal)) console.log(`  differs: ${result.name}`);
  assert.ok(dialogs.length >= 20, 'the reference dialogs were found');
});
