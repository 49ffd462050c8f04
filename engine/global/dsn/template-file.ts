// The bounce template file (bounce_template_file, bounce(5)): "NAME_template = value" or
// "NAME_template = <<MARKER ... MARKER" blocks for the failure, delay, success and verify
// templates, and each template's pseudo-headers (Charset, From, Subject,
// Postmaster-Subject), blank lines, then its text. A malformed file line is fatal; a
// malformed template is dropped with a warning and the built-in one stays.
// Called by postconf -t/-b (engine/admin/postconf-templates.ts) and the bounce service
// (engine/bounce/). Trusts nothing in the file. Models src/bounce/bounce_templates.c
// (bounce_templates_load) and bounce_template.c (bounce_template_parse_buffer).

import type { Reporter } from '../msg.ts';
import { NOTICE_TEMPLATES, type NoticeKind, type NoticeTemplate } from './templates.ts';

export const TEMPLATE_KINDS: readonly NoticeKind[] = ['failure', 'delay', 'success', 'verify'];
/** Lines read from a template file at most. */
const TEMPLATE_FILE_LINES_MAX = 100_000;

/** A template with the MIME charset its text is in. */
export interface BounceTemplate extends NoticeTemplate {
  charset: string;
}

/** What the file gave: the unparsed template buffers by kind. */
export type TemplateBuffers = Map<NoticeKind, string>;

/** The built-in template of a kind. */
export function builtInTemplate(kind: NoticeKind): BounceTemplate {
  return { ...NOTICE_TEMPLATES[kind], charset: 'us-ascii', origin: '[built-in]' };
}

/** bounce_templates_load: splits the file's text into template buffers. Fatal on a line
 *  without '=' or a bad end marker; warns about an unknown template name. */
export function splitTemplateFile(text: string, file: string, reporter: Pick<Reporter, 'warn' | 'fatal'>): TemplateBuffers {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const buffers: TemplateBuffers = new Map();
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
    const kind = TEMPLATE_KINDS.find((candidate) => name === `${candidate}_template`);
    if (kind === undefined) reporter.warn(`${file}, line ${lineNumber}: unknown template name: ${name} -- ignoring this template`);
    else buffers.set(kind, value);
  }
  return buffers;
}

const ASCII = /^[\x00-\x7f]*$/;

/** bounce_template_parse_buffer: header lines, blank lines, then the text. A bad template
 *  is ignored with a warning (the given default stays). */
export function parseTemplate(template: BounceTemplate, file: string, buffer: string, reporter: Pick<Reporter, 'warn'>): BounceTemplate {
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

/** The template of a kind: the file's, parsed, or the built-in one. */
export function templateOf(kind: NoticeKind, file: string, buffers: TemplateBuffers, reporter: Pick<Reporter, 'warn'>): BounceTemplate {
  const buffer = buffers.get(kind);
  return buffer === undefined ? builtInTemplate(kind) : parseTemplate(builtInTemplate(kind), file, buffer, reporter);
}

/** bounce_template_encoding: "8bit" when the text has non-ASCII bytes, else "7bit". */
export function templateEncoding(template: NoticeTemplate): '7bit' | '8bit' {
  return template.text.every((line) => ASCII.test(line)) ? '7bit' : '8bit';
}
