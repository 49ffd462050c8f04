// The message content pass: the submitting program's Received header first, then the
// primary headers one logical header at a time (checks, hop count, Message-Id logging,
// Resent- detection, address rewriting, message_drop_headers), the missing headers
// (missing-headers.ts), and the body with MIME part headers and attached message headers
// told apart from body lines for the right checks. Output goes to state.contentLines as
// text lines (latin1: one character per byte, so 8-bit mail passes through unchanged).
// Called by finish.ts after the envelope pass. Trusts the core; bounded by the number of
// input lines and header_size_limit per header.
// Models cleanup_message.c (cleanup_header_callback, cleanup_body_callback) over
// mime_state.c's header/body split.

import { CleanupStatus } from '../master/contracts.ts';
import type { LookupTable } from '../global/maps/types.ts';
import { checkLine } from './checks.ts';
import type { CleanupCore } from './core.ts';
import { rewriteHeaderAddresses, headerOutputLines } from './header-rewrite.ts';
import { findHeaderOptions, headerValue, isHeaderText, receivedHeader } from './headers.ts';
import { addMissingHeaders } from './missing-headers.ts';
import { BoundaryStack, blockEnd, parseContentType, type ContentType, type LineClass } from './mime.ts';
import type { CleanupState, HeaderOptions } from './state.ts';

/** A message's text as cleanup writes it. */
export interface ContentOutput {
  lines: string[];
}

/** Content-Transfer-Encoding values that make the message 8-bit (binary is a violation
 *  Postfix counts as 8bit). */
const EIGHT_BIT_ENCODINGS = new Set(['8bit', 'binary']);

const isContinuation = (line: string): boolean => line.startsWith(' ') || line.startsWith('\t');

class MessagePass {
  private bodyOffset = 0;
  private readonly boundaries = new BoundaryStack();

  constructor(private readonly core: CleanupCore, private readonly state: CleanupState, private readonly output: ContentOutput) {}

  /** Writes lines when output is still wanted (CLEANUP_OUT_OK). */
  write(lines: readonly string[]): void {
    if (!this.state.outputOk) return;
    for (const line of lines) this.output.lines.push(line);
  }

  /** write() of one line, or of a header's lines (headerOutputLines) without arrays when it
   *  is a single line. */
  writeLine(line: string): void {
    if (this.state.outputOk) this.output.lines.push(line);
  }
  writeHeader(text: string): void {
    if (text.includes('\n')) this.write(headerOutputLines(text));
    else this.writeLine(text);
  }

  private tablesFor(lineClass: LineClass | 'primary', mimeHeader: boolean): { readonly tables: readonly LookupTable[]; readonly parameter: string } {
    const { tables } = this.core;
    if (mimeHeader || lineClass === 'mime-header') return { tables: tables.mimeHeaderChecks, parameter: 'mime_header_checks' };
    if (lineClass === 'nested-header') return { tables: tables.nestedHeaderChecks, parameter: 'nested_header_checks' };
    return { tables: tables.headerChecks, parameter: 'header_checks' };
  }

  /** cleanup_header_callback for one logical header (continuation lines joined by "\n").
   *  The Content-Type found, at once when nothing had to be waited for (no header_checks,
   *  no address rewriting: Postfix's callback is a plain call), else a promise of it. */
  header(input: string, lineClass: LineClass | 'primary'): ContentType | undefined | Promise<ContentType | undefined> {
    const { core, state } = this;
    const text = input.length > core.settings.headerSizeLimit ? input.slice(0, core.settings.headerSizeLimit) : input;
    const options = findHeaderOptions(text, core.settings.dropHeaders);
    if (options?.name === 'Received') state.hopCount += 1;
    // With no table to consult, checkLine keeps the line: no need to ask it.
    if (state.contentChecks && state.outputOk && this.tablesFor(lineClass, options?.mime === true).tables.length > 0) {
      return this.checkedHeader(text, options, lineClass);
    }
    return this.checkedHeaderOut(text, options, lineClass);
  }

  /** header() with header_checks (or their MIME/nested variants) first. */
  private async checkedHeader(input: string, found: Readonly<HeaderOptions> | undefined, lineClass: LineClass | 'primary'): Promise<ContentType | undefined> {
    const { core, state } = this;
    let text = input;
    let options = found;
    const { tables, parameter } = this.tablesFor(lineClass, options?.mime === true);
    const outcome = await checkLine(core, state, {
      tables, parameter, context: 'header', line: text,
      emitHeader: async (prepended) => this.write(headerOutputLines(prepended)),
      emitBody: (prepended) => this.write([prepended]),
    });
    if (outcome.kind === 'drop') return undefined;
    if (outcome.kind === 'replace') {
      text = outcome.text;
      options = findHeaderOptions(text, core.settings.dropHeaders);
    }
    const result = this.checkedHeaderOut(text, options, lineClass);
    return result instanceof Promise ? await result : result;
  }

  /** The rest of header() once the checks passed: MIME facts, then the output. */
  private checkedHeaderOut(text: string, options: Readonly<HeaderOptions> | undefined, lineClass: LineClass | 'primary'): ContentType | undefined | Promise<ContentType | undefined> {
    const contentType = options?.name === 'Content-Type' ? parseContentType(headerValue(text)) : undefined;
    // 8-bit type information overrides 7-bit (auto_8bit_encoding_header... is always on).
    if (options?.name === 'Content-Transfer-Encoding' && EIGHT_BIT_ENCODINGS.has(headerValue(text).trim().toLowerCase())) {
      this.state.attributes.set('encoding', '8bit');
    }
    if (options === undefined || lineClass !== 'primary') {
      this.writeHeader(text);
      return contentType;
    }
    const rewriting = this.primaryHeader(text, options);
    return rewriting === undefined ? contentType : this.afterRewrite(rewriting, contentType);
  }

  private async afterRewrite(rewriting: Promise<void>, contentType: ContentType | undefined): Promise<ContentType | undefined> {
    await rewriting;
    return contentType;
  }

  /** A primary header's effects and output; a promise only while its addresses are being
   *  rewritten. */
  private primaryHeader(text: string, options: Readonly<HeaderOptions>): Promise<void> | undefined {
    const { core, state } = this;
    state.headersSeen.add(options.name.toLowerCase());
    if (options.name === 'Message-Id' || options.name === 'Resent-Message-Id') {
      const header = options.name === 'Message-Id' ? 'message-id' : 'resent-message-id';
      core.trace(state.queueId, { kind: 'cleanup.message-id', header, messageId: headerValue(text) });
    }
    if (options.name === 'Received' && state.hopCount >= core.settings.hopcountLimit) {
      core.log.warn(`${state.queueId}: message rejected: hopcount exceeded`);
      state.fail(CleanupStatus.hops);
    }
    if (!state.outputOk) return undefined;
    if (options.resent) state.resent = 'Resent-';
    if ((options.sender || options.recipient) && state.headerRewriteContext !== undefined) return this.rewriteHeader(text, options);
    if (!options.drop) this.writeHeader(text);
    return undefined;
  }

  private async rewriteHeader(text: string, options: Readonly<HeaderOptions>): Promise<void> {
    const rewritten = await rewriteHeaderAddresses(this.core, this.state, options, text);
    if (!options.drop) this.writeHeader(rewritten);
  }

  /** cleanup_body_callback. A line no body_checks look at is written at once, without a
   *  promise (Postfix's callback is a plain call); one they look at returns the check's
   *  promise, which the caller awaits. */
  body(line: string): Promise<void> | undefined {
    const { core, state } = this;
    if (!state.outputOk) return undefined;
    const offset = this.bodyOffset;
    this.bodyOffset += line.length + 1;
    const limit = core.settings.bodyChecksSizeLimit;
    if (state.contentChecks && core.tables.bodyChecks.length > 0 && (limit === 0 || offset < limit)) return this.checkedBody(line);
    this.writeLine(line);
    return undefined;
  }

  private async checkedBody(line: string): Promise<void> {
    const { core, state } = this;
    const outcome = await checkLine(core, state, {
      tables: core.tables.bodyChecks, parameter: 'body_checks', context: 'body', line,
      emitHeader: async (prepended) => this.write([prepended]),
      emitBody: (prepended) => this.write([prepended]),
    });
    if (outcome.kind === 'drop') return;
    this.writeLine(outcome.kind === 'replace' ? outcome.text : line);
  }

  /** Reads logical headers from `lines` at `start`; returns the index after them and the
   *  last Content-Type seen. */
  async headerBlock(lines: readonly string[], start: number, lineClass: LineClass | 'primary'): Promise<{ next: number; contentType?: ContentType }> {
    let index = start;
    let contentType: ContentType | undefined;
    while (index < lines.length) {
      const first = lines[index] ?? '';
      if (!isHeaderText(first)) break;
      let text = first;
      index++;
      while (index < lines.length && isContinuation(lines[index] ?? '')) text += `\n${lines[index++] ?? ''}`;
      const step = this.header(text, lineClass);
      const found = step instanceof Promise ? await step : step;
      if (found !== undefined) contentType = found;
    }
    return contentType === undefined ? { next: index } : { next: index, contentType };
  }

  /** The body after a header block: part boundaries open new header blocks. */
  async walkBody(lines: readonly string[], start: number, after: ContentType | undefined): Promise<void> {
    let index = start;
    let pending = blockEnd(after);
    const bodyNext = async (): Promise<void> => {
      // The line ending a header block (usually empty) is body text.
      if (index < lines.length) await this.body(lines[index++] ?? '');
    };
    if (pending.boundary !== undefined) this.boundaries.push(pending.boundary);
    if (pending.nestedMessage) {
      await bodyNext();
      const block = await this.headerBlock(lines, index, 'nested-header');
      index = block.next;
      pending = blockEnd(block.contentType);
      if (pending.boundary !== undefined) this.boundaries.push(pending.boundary);
    }
    while (index < lines.length) {
      const line = lines[index] ?? '';
      const boundary = this.boundaries.match(line);
      const checked = this.body(line);
      if (checked !== undefined) await checked;
      index++;
      if (boundary !== 'open') continue;
      const block = await this.headerBlock(lines, index, 'mime-header');
      index = block.next;
      const end = blockEnd(block.contentType);
      if (end.boundary !== undefined) this.boundaries.push(end.boundary);
      if (end.nestedMessage) {
        await bodyNext();
        const nested = await this.headerBlock(lines, index, 'nested-header');
        index = nested.next;
        const nestedEnd = blockEnd(nested.contentType);
        if (nestedEnd.boundary !== undefined) this.boundaries.push(nestedEnd.boundary);
      }
    }
  }
}

/** Processes the whole content; `lines` are the submitted lines without line ends. */
export async function processMessage(core: CleanupCore, state: CleanupState, lines: readonly string[], output: ContentOutput): Promise<void> {
  const pass = new MessagePass(core, state, output);
  const received = receivedHeader(state.client, {
    myhostname: core.settings.myhostname, queueId: state.queueId, time: state.createdAt,
    recipients: state.submittedRecipients.map((recipient) => recipient.address),
  });
  const receivedStep = pass.header(received, 'primary');
  if (receivedStep instanceof Promise) await receivedStep;
  const block = await pass.headerBlock(lines, 0, 'primary');
  if (state.outputOk) {
    const added = await addMissingHeaders(core, state);
    pass.write(added.flatMap((text) => headerOutputLines(text)));
  }
  await pass.walkBody(lines, block.next, block.contentType);
}
