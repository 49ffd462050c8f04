// The single-host scenario's answers in mtalab's shell against the real Postfix 3.7 on the
// same files: the scenario's etc/postfix is copied to a temporary directory, the real
// postconf/postmap run there with -c, and mtalab's shell runs the same command on the
// simulated host, where the files sit in /etc/postfix. Output and exit status must match,
// with the temporary directory's name read as /etc/postfix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createShell } from '../../engine/shell/index.ts';
import { loadScenarioFromDisk } from '../../scenarios/load-from-disk.ts';
import { hasRealCommand, runReal } from './real-postfix.ts';

const scenarioConfig = fileURLToPath(new URL('../../scenarios/single-host/hosts/mail/etc/postfix', import.meta.url));

interface Case {
  /** What the user types in mtalab's shell. */
  shell: string;
  /** The real command; CONFIG stands for the temporary configuration directory. */
  real: string[];
  input?: string;
  /** Lines of the real output to leave out (what -c adds). */
  dropReal?: RegExp;
}

const cases: Case[] = [
  { shell: 'postconf mydestination', real: ['postconf', '-c', 'CONFIG', 'mydestination'] },
  { shell: 'postconf -n', real: ['postconf', '-c', 'CONFIG', '-n'], dropReal: /^config_directory = / },
  { shell: 'postconf -c /etc/postfix -n', real: ['postconf', '-c', 'CONFIG', '-n'] },
  { shell: 'postconf -h myorigin myhostname mynetworks', real: ['postconf', '-c', 'CONFIG', '-h', 'myorigin', 'myhostname', 'mynetworks'] },
  { shell: 'postconf -x mydestination myorigin', real: ['postconf', '-c', 'CONFIG', '-x', 'mydestination', 'myorigin'] },
  { shell: 'postconf alias_maps alias_database', real: ['postconf', '-c', 'CONFIG', 'alias_maps', 'alias_database'] },
  { shell: 'postconf -M', real: ['postconf', '-c', 'CONFIG', '-M'] },
  { shell: 'postmap -q alice texthash:/etc/postfix/aliases', real: ['postmap', '-c', 'CONFIG', '-q', 'alice', 'texthash:CONFIG/aliases'] },
  { shell: 'postmap -q postmaster texthash:/etc/postfix/aliases', real: ['postmap', '-c', 'CONFIG', '-q', 'postmaster', 'texthash:CONFIG/aliases'] },
  { shell: 'postmap -q nobody texthash:/etc/postfix/aliases', real: ['postmap', '-c', 'CONFIG', '-q', 'nobody', 'texthash:CONFIG/aliases'] },
  {
    shell: 'echo -e "root\\nsales\\nnobody\\nabuse" | postmap -q - texthash:/etc/postfix/aliases',
    real: ['postmap', '-c', 'CONFIG', '-q', '-', 'texthash:CONFIG/aliases'], input: 'root\nsales\nnobody\nabuse\n',
  },
  { shell: 'cat /etc/postfix/main.cf', real: ['cat', 'CONFIG/main.cf'] },
  { shell: 'cat /etc/postfix/aliases', real: ['cat', 'CONFIG/aliases'] },
];

const available = hasRealCommand('postconf') && hasRealCommand('postmap');

test('the single-host scenario answers as the real Postfix does', { skip: !available && 'real Postfix not installed' }, async () => {
  const config = mkdtempSync(join(tmpdir(), 'mtalab-shell-scenario-'));
  try {
    cpSync(scenarioConfig, config, { recursive: true });
    const loaded = await loadScenarioFromDisk('single-host');
    let output = '';
    const shell = createShell({ host: loaded.hosts[0]!.host, write: (data) => { output += data; }, columns: 200 });
    shell.start();
    await shell.idle();
    const mismatches: string[] = [];
    for (const entry of cases) {
      const before = output.length;
      shell.input(`${entry.shell}\r`);
      await shell.idle();
      const written = output.slice(before);
      const ours = written.slice(written.indexOf('\r\n') + 2).replace(/root@mail:[^\r\n]*# $/, '').replace(/\r\n/g, '\n');
      const real = runReal(entry.real.map((word) => word.replace('CONFIG', config)), { input: entry.input });
      const realText = (real.stderr + real.stdout).split(config).join('/etc/postfix')
        .split('\n').filter((line) => entry.dropReal === undefined || !entry.dropReal.test(line)).join('\n');
      if (ours !== realText || shell.lastStatus !== real.status) {
        mismatches.push(`${entry.shell}\n  mtalab (${shell.lastStatus}): ${JSON.stringify(ours)}\n  postfix (${real.status}): ${JSON.stringify(realText)}`);
      }
    }
    console.log(`shell-scenario interop: ${cases.length - mismatches.length}/${cases.length} equal`);
    assert.deepEqual(mismatches, []);
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
});
