// Interop: postconf -t / -b (bounce templates) and -T against Postfix 3.7.11, each side on a
// private config directory of its own (-c DIR, cwd DIR). With a bounce_template_file (in
// main.cf, or as the -t/-b operand) that gives all four templates, stdout, stderr and status
// must be equal; with a file that has bad and unknown templates, stderr and status must be
// equal and stdout equal except for the templates that fall back to the built-in ones. The
// built-in templates carry mtalab's own wording (engine/global/dsn/templates.ts), so there
// only the structure is compared: the block names, the header lines and the warnings.
// -T compile-version/run-version/public-key-algorithms differ by design (mtalab answers as
// a build without OpenSSL: nothing, exit 0). Prints "postconf -t/-b/-T: N/M equal".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  hasRealCommand, makeTemporaryDirectory, normalizePaths, removeTemporaryDirectory, runMtalab, runReal, type CommandResult,
} from './real-postfix.ts';

const FULL_TEMPLATES = `# every template, replaced
failure_template = <<EOF
Charset: us-ascii
From: Postmaster <postmaster@$mydomain>
Subject: Not delivered
Postmaster-Subject: Copy for the postmaster

Your mail to $myhostname could not be delivered.
Retried for $maximal_queue_lifetime_days days ($maximal_queue_lifetime_hours hours).
EOF

delay_template = <<END
Subject: Late


  indented first line, after blank lines
warned after $delay_warning_time_minutes minutes

last
END
success_template = <<EOF
From:   Spaced <s@example.test>
subject: lower-case label

Delivered, says \${myhostname}.
EOF
verify_template = <<EOF
From: Me <me@example.test>

Verified at \${myhostname} for $mail_name.
EOF
`;

const BAD_TEMPLATES = `failure_template = <<EOF
Subject:

text
EOF
delay_template = <<EOF
X-Unknown: header

text
EOF
success_template = <<EOF
Postmaster-Subject: not for success

text
EOF
verify_template = <<EOF
Subject: only headers
EOF
`;

interface Case {
  argv: string[];
  mainCf: string;
  /** 'equal': everything; 'structure': block names, headers and stderr (built-in text). */
  compare: 'equal' | 'structure' | 'by-design';
}

const FULL = 'bounce_template_file = full.cf\n';
const cases: Case[] = [
  { argv: ['-t'], mainCf: '', compare: 'structure' },
  { argv: ['-b'], mainCf: 'delay_warning_time = 30m\n', compare: 'structure' },
  { argv: ['-t'], mainCf: FULL, compare: 'equal' },
  { argv: ['-b'], mainCf: FULL, compare: 'equal' },
  { argv: ['-b'], mainCf: `${FULL}delay_warning_time = 30s\nmaximal_queue_lifetime = 12h\n`, compare: 'equal' },
  { argv: ['-t', 'full.cf'], mainCf: '', compare: 'equal' },
  { argv: ['-b', 'full.cf'], mainCf: 'bounce_template_file = bad.cf\nmyhostname = mail.example.test\n', compare: 'equal' },
  { argv: ['-t'], mainCf: 'bounce_template_file = bad.cf\n', compare: 'structure' },
  { argv: ['-b'], mainCf: 'bounce_template_file = bad.cf\n', compare: 'structure' },
  { argv: ['-t', 'full.cf', 'bad.cf'], mainCf: '', compare: 'equal' },
  { argv: ['-b', '-t'], mainCf: '', compare: 'equal' },
  { argv: ['-T', 'bogus'], mainCf: '', compare: 'equal' },
  { argv: ['-T'], mainCf: '', compare: 'equal' },
  { argv: ['-T', 'run-version', '-T', 'compile-version'], mainCf: '', compare: 'equal' },
  { argv: ['-T', 'compile-version'], mainCf: '', compare: 'by-design' },
];

/** Block names, header lines and "EOF" lines of -t output, or block names of -b output. */
function structure(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^(\w+ = <<EOF|EOF|Charset: |From: |Subject: |Postmaster-Subject: )/.test(line));
}

function prepare(directory: string, mainCf: string): void {
  writeFileSync(join(directory, 'main.cf'), `myhostname = mail.example.test\n${mainCf}`);
  writeFileSync(join(directory, 'full.cf'), FULL_TEMPLATES);
  writeFileSync(join(directory, 'bad.cf'), BAD_TEMPLATES);
}

test('postconf -t, -b and -T agree with Postfix 3.7', { skip: !hasRealCommand('postconf') }, async () => {
  let equal = 0;
  let compared = 0;
  const differences: string[] = [];
  for (const item of cases) {
    const realDirectory = makeTemporaryDirectory('mtalab-templates-real-');
    const oursDirectory = makeTemporaryDirectory('mtalab-templates-ours-');
    try {
      prepare(realDirectory, item.mainCf);
      prepare(oursDirectory, item.mainCf);
      const clean = (result: CommandResult, directory: string): CommandResult => ({
        stdout: normalizePaths(result.stdout, [directory]), stderr: normalizePaths(result.stderr, [directory]), status: result.status,
      });
      const real = clean(runReal(['postconf', '-c', realDirectory, ...item.argv], { cwd: realDirectory }), realDirectory);
      const ours = clean(await runMtalab(['postconf', '-c', oursDirectory, ...item.argv], { cwd: oursDirectory }), oursDirectory);
      if (item.compare === 'by-design') {
        console.log(`by design: postconf ${item.argv.join(' ')}: real ${JSON.stringify(real.stdout)}, mtalab ${JSON.stringify(ours.stdout)} (exit ${ours.status})`);
        assert.equal(ours.status, 0);
        continue;
      }
      compared++;
      const shape = (result: CommandResult): unknown => (item.compare === 'equal' ? result
        : { stdout: structure(result.stdout), stderr: result.stderr, status: result.status });
      try {
        assert.deepEqual(shape(ours), shape(real));
        equal++;
      } catch {
        differences.push(`$ postconf ${item.argv.join(' ')} (main.cf: ${JSON.stringify(item.mainCf)}, ${item.compare})\n--- real\n${JSON.stringify(real, null, 1)}\n--- mtalab\n${JSON.stringify(ours, null, 1)}`);
      }
    } finally {
      removeTemporaryDirectory(realDirectory);
      removeTemporaryDirectory(oursDirectory);
    }
  }
  console.log(`postconf -t/-b/-T: ${equal}/${compared} equal`);
  if (differences.length > 0) console.log(differences.join('\n\n'));
  assert.equal(differences.length, 0, `${differences.length} of ${compared} cases differ`);
});
