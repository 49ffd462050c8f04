// postconf -t [template_file] and -b [template_file]: the four bounce templates (failure,
// delay, success, verify) as "NAME_template = <<EOF ... EOF" blocks, or their texts expanded
// with main.cf's values as "expanded_NAME_text = <<EOF ... EOF". The built-in templates are
// engine/global/dsn/templates.ts (the same ones the bounce service sends; their prose is
// mtalab's own, so built-in output differs from Postfix's in wording only); a file named by
// the operand or by bounce_template_file replaces them template by template, parsed as
// bounce(5) says. Postfix runs its bounce daemon for this, so warnings say "postfix/bounce".
// Called by postconf.ts. Trusts nothing in the template file. Models bounce_templates.c and
// bounce_template.c (load, parse, dump, expand).

import { createReporter, type Reporter } from '../global/msg.ts';
import { readMainConfig } from '../global/config/main-cf.ts';
import { expandTemplate, NOTICE_TEMPLATES, type NoticeKind, type NoticeTemplate } from '../global/dsn/templates.ts';
import type { PostconfRun } from './postconf.ts';
import { failureReason } from './postconf.ts';

const KINDS: readonly NoticeKind[] = ['failure', 'delay', 'success', 'verify'];
/** Lines read from a template file at most. */
const TEMPLATE_FILE_LINES_MAX = 100_000;

interface BounceTemplate extends NoticeTemplate {
  charset: string;
}

function builtIn(kind: NoticeKind): BounceTemplate {
  return { ...NOTICE_TEMPLATES[kind], charset: 'us-ascii', origin: '[built-in]' };
}

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
  const templates = new Map(KINDS.map((kind) => [kind, builtIn(kind)]));
  const buffers = file === '' ? new Map<NoticeKind, string>() : await loadTemplateFile(run, file, bounce);
  const blocks: string[] = [];
  for (const kind of KINDS) {
    const buffer = buffers.get(kind);
    const template = buffer === undefined ? templates.get(kind)! : parseTemplate(builtIn(kind), file, buffer, bounce);
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

/** bounce_templates_load: "NAME_template = value" or "= <<MARKER" blocks, by kind. */
async function loadTemplateFile(run: PostconfRun, file: string, reporter: Reporter): Promise<Map<NoticeKind, string>> {
  let text: string;
  try {
    text = new TextDecoder().decode(await run.fs.readFile(file));
  } catch (error) {
    return reporter.fatal(`open ${file}: ${failureReason(error)}`);
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const buffers = new Map<NoticeKind, string>();
  // Postfix counts from 1 and adds one before the first line, so its numbers run one ahead.
  let lineNumber = 1;
  for (let index = 0; index < lines.length && index < TEMPLATE_FILE_LINES_MAX; index++) {
    const line = lines[index] ?? '';
    lineNumber++;
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals < 0) reporter.fatal(`${file}, line ${lineNumber}: missing '=' after attribute name: "${line}"`);
    const name = line.slice(0, equals).trim();
    if (name === '') reporter.fatal(`${file}, line ${lineNumber}: missing attribute name: "${line}"`);
    let value = line.slice(equals + 1).trim();
    if (value.startsWith('<<')) {
      const marker = value.slice(2).trim();
      if (marker === '') reporter.fatal(`${file}, line ${lineNumber}: missing end marker after <<`);
      if (!/^[A-Za-z0-9]/.test(marker)) reporter.fatal(`${file}, line ${lineNumber}: malformed end marker after <<`);
      const body: string[] = [];
      let ended = false;
      for (index++; index < lines.length; index++) {
        lineNumber++;
        if (lines[index] === marker) { ended = true; break; }
        body.push(lines[index] ?? '');
      }
      if (!ended) reporter.warn(`${file}, line ${lineNumber}: missing "${marker}" end marker`);
      value = body.join('\n');
    }
    const kind = KINDS.find((candidate) => name === `${candidate}_template`);
    if (kind === undefined) reporter.warn(`${file}, line ${lineNumber}: unknown template name: ${name} -- ignoring this template`);
    else buffers.set(kind, value);
  }
  return buffers;
}

const ASCII = /^[\x00-\x7f]*$/;

/** bounce_template_parse_buffer: header lines, blank lines, then the text. A bad template
 *  is ignored with a warning (the built-in one stays). */
function parseTemplate(template: BounceTemplate, file: string, buffer: string, reporter: Reporter): BounceTemplate {
  const lines = buffer.split('\n');
  const parsed: BounceTemplate = { ...template, origin: file };
  const ignore = (why: string): BounceTemplate => {
    reporter.warn(`${file}: ${why} in ${template.kind} template -- ignoring this template`);
    return template;
  };
  let index = 0;
  for (; index < lines.length; index++) {
    const header = /^([!-9;-~]+):[\s:]*(.*)$/.exec(lines[index] ?? '');
    if (header === null) break;
    const label = header[1] ?? '';
    const value = header[2] ?? '';
    if (value === '') return ignore(`empty "${label}" header value`);
    if (!ASCII.test(value)) return ignore(`non-ASCII "${label}" header value`);
    const lower = label.toLowerCase();
    if (lower === 'charset') parsed.charset = value;
    else if (lower === 'from') parsed.from = value;
    else if (lower === 'subject') parsed.subject = value;
    else if (lower === 'postmaster-subject') {
      if (template.postmasterSubject === undefined) return ignore(`inapplicable "${label}" header label`);
      parsed.postmasterSubject = value;
    } else return ignore(`unknown "${label}" header label`);
  }
  while (index < lines.length && (lines[index] ?? '').trim() === '') index++;
  if (index >= lines.length) {
    reporter.warn(`${file}: missing message text in ${template.kind} template -- ignoring this template`);
    return template;
  }
  const text = lines.slice(index);
  if (!text.every((line) => ASCII.test(line)) && parsed.charset.toLowerCase() === 'us-ascii') {
    reporter.warn(`${file}: 8-bit message text in ${template.kind} template`);
    reporter.warn('please specify a charset value other than us-ascii');
    reporter.warn('-- ignoring this template for now');
    return template;
  }
  return { ...parsed, text };
}
