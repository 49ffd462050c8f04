// postconf -t [template_file] and -b [template_file]: the four bounce templates (failure,
// delay, success, verify) as "NAME_template = <<EOF ... EOF" blocks, or their texts expanded
// with main.cf's values as "expanded_NAME_text = <<EOF ... EOF". The built-in templates are
// engine/global/dsn/templates.ts (the same ones the bounce service sends; their prose is
// mtalab's own, so built-in output differs from Postfix's in wording only); a file named by
// the operand or by bounce_template_file replaces them template by template, parsed as
// bounce(5) says (engine/global/dsn/template-file.ts, shared with the bounce service).
// Postfix runs its bounce daemon for this, so warnings say "postfix/bounce".
// Called by postconf.ts. Trusts nothing in the template file. Models bounce_templates.c and
// bounce_template.c (load, parse, dump, expand).

import { createReporter, type Reporter } from '../global/msg.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import { expandTemplate, type NoticeKind } from '../global/dsn/templates.ts';
import { splitTemplateFile, TEMPLATE_KINDS, templateOf } from '../global/dsn/template-file.ts';
import type { PostconfRun } from './postconf.ts';
import { failureReason } from './postconf.ts';

/** postconf -t / -b: prints the templates, dumped or expanded. */
export async function showBounceTemplates(run: PostconfRun, expand: boolean): Promise<number> {
  const { operands } = run.options;
  if (operands.length > 1) run.reporter.fatal('options -b and -t require at most one template file');
  const bounce = createReporter({ program: 'postfix/bounce', host: run.context.host, pid: run.pid, stderr: run.context.stderr });
  const directory = run.configDirectory.startsWith('/') ? run.configDirectory : `${run.context.cwd.replace(/\/+$/, '')}/${run.configDirectory}`;
  const config = await readMainConfig({
    fs: run.context.host.platform.fs, directory, reporter: bounce, host: run.context.host,
    directoryIsExplicit: run.directoryIsExplicit,
  });
  const file = operands[0] ?? config.get('bounce_template_file') ?? '';
  const buffers = file === '' ? new Map<NoticeKind, string>() : await loadTemplateFile(run, file, bounce);
  const blocks: string[] = [];
  for (const kind of TEMPLATE_KINDS) {
    const template = templateOf(kind, file, buffers, bounce);
    if (!expand) {
      const headers = [`Charset: ${template.charset}`, `From: ${template.from}`, `Subject: ${template.subject}`];
      if (template.postmasterSubject !== undefined) headers.push(`Postmaster-Subject: ${template.postmasterSubject}`);
      blocks.push(`${kind}_template = <<EOF\n${[...headers, '', ...template.text].join('\n')}\nEOF\n`);
      continue;
    }
    const expanded = expandTemplate(template, config);
    for (const warning of expanded.warnings) bounce.warn(warning);
    blocks.push(`expanded_${kind}_text = <<EOF\n${expanded.lines.map((line) => `${line}\n`).join('')}EOF\n`);
  }
  run.context.stdout.write(blocks.join('\n'));
  return 0;
}

/** Reads the template file (fatal when it cannot be opened) and splits it by kind. */
async function loadTemplateFile(run: PostconfRun, file: string, reporter: Reporter): Promise<Map<NoticeKind, string>> {
  let text: string;
  try {
    text = new TextDecoder().decode(await run.fs.readFile(file));
  } catch (error) {
    return reporter.fatal(`open ${file}: ${failureReason(error)}`);
  }
  return splitTemplateFile(text, file, reporter);
}
