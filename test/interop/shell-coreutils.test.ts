// The shell's unix basics against the real GNU coreutils, grep and bash on the same files:
// each command line runs in mtalab's shell on a simulated host and in bash -c in a
// temporary directory holding the same files (C locale). Output and exit status must match.
// ls on a terminal is compared with `ls -C -T 0 -w 80` (columns, no tabs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bashInstalled, withShellBesideBash } from './shell-beside-bash.ts';

const files: Record<string, string> = {
  'main.cf': '# comment\nmyhostname = mail.example.test\nmydomain = example.test\n\nmyorigin = $mydomain\n'
    + 'mydestination = $myhostname, localhost\n# end\n',
  'aliases': 'postmaster root\nroot alice\nsales alice, bob\n',
  'notes.txt': 'one two three\nfour\tfive\n  six  \nno newline at end',
  'dir/a.cf': 'x\n', 'dir/b.cf': 'y\n', 'dir/long-name-of-a-file.db': '', 'dir/c': '',
};
for (let index = 0; index < 23; index++) files[`many/file-${String(index).padStart(2, '0')}${'x'.repeat(index % 7)}`] = '';

const commands: Array<{ shell: string; real?: string }> = [
  { shell: 'wc main.cf' }, { shell: 'wc -l main.cf' }, { shell: 'cat main.cf | wc' }, { shell: 'wc main.cf aliases notes.txt' },
  { shell: 'wc -w notes.txt' }, { shell: 'wc -c < notes.txt' }, { shell: 'wc -lw main.cf aliases' },
  { shell: 'head -n 3 main.cf' }, { shell: 'head -2 main.cf aliases' }, { shell: 'tail -2 main.cf' }, { shell: 'tail -n 1 notes.txt' },
  { shell: 'grep -n my main.cf' }, { shell: 'grep -c alice main.cf aliases' }, { shell: 'grep -v "^#" main.cf' },
  { shell: 'grep -i MYDOMAIN main.cf' }, { shell: 'grep nothing main.cf' }, { shell: 'grep -E "^(root|sales) " aliases' },
  { shell: 'grep "my\\(host\\|dom\\)" main.cf' }, { shell: 'grep -l alice main.cf aliases' }, { shell: 'grep x nope.txt' },
  { shell: 'cat -n notes.txt' }, { shell: 'cat nope.txt main.cf' }, { shell: 'cat dir' },
  { shell: 'ls', real: 'ls -C -T 0 -w 80' }, { shell: 'ls many', real: 'ls -C -T 0 -w 80 many' }, { shell: 'ls -1 dir' },
  { shell: 'ls dir aliases', real: 'ls -C -T 0 -w 80 dir aliases' }, { shell: 'ls nope', real: 'ls nope' },
  { shell: 'ls many | head -3' }, { shell: 'ls -d dir' },
  { shell: 'echo -e "a\\tb\\\\n" -n' }, { shell: 'echo -n abc; echo' }, { shell: 'echo "$HOME" \'$HOME\' a\\ b' , real: 'HOME=/root; echo "$HOME" \'$HOME\' a\\ b' },
  { shell: 'false; echo $?' }, { shell: 'true && false || echo or' }, { shell: 'nosuchcommand' },
  { shell: 'rm nope.txt' }, { shell: 'mkdir nope/x' }, { shell: 'cp nope.txt x' }, { shell: 'mv nope.txt x' },
  { shell: 'cp dir y' }, { shell: 'touch nope/x' }, { shell: 'cd nope' }, { shell: 'cd main.cf' }, { shell: 'ls -z' },
  { shell: 'echo one > out.txt; echo two >> out.txt; cat out.txt; rm out.txt' },
  { shell: 'cat < nope.txt' }, { shell: 'cat main.cf | grep my | wc -l' },
  { shell: "printf 'Subject: hi\\n\\nhello %s\\n' alice" }, { shell: "printf '%s=%d\\n' a 1 b 2 c" },
  { shell: "printf '[%5s][%-4s][%03d][%x][%o][%%]\\n' ab cd 7 255 8" }, { shell: "printf '%b|%c\\n' 'x\\ty' word" },
  { shell: "printf '%d\\n' abc; echo $?" }, { shell: 'printf' }, { shell: "printf 'no newline'" },
];

test('unix basics match coreutils, grep and bash', { skip: !bashInstalled && 'bash not installed' }, async () => {
  await withShellBesideBash('mtalab-coreutils-', files, async ({ run, lastStatus, bash }) => {
    const mismatches: string[] = [];
    for (const command of commands) {
      const ours = await run(command.shell);
      const status = lastStatus();
      const real = bash(command.real ?? command.shell);
      const realText = (real.stderr + real.stdout).replace(/^bash: line 1: /gm, 'bash: ');
      if (ours !== realText || status !== real.status) {
        mismatches.push(`${command.shell}\n  mtalab (${status}): ${JSON.stringify(ours)}\n  real   (${real.status}): ${JSON.stringify(realText)}`);
      }
    }
    console.log(`shell-coreutils interop: ${commands.length - mismatches.length}/${commands.length} equal`);
    assert.deepEqual(mismatches, []);
  });
});
