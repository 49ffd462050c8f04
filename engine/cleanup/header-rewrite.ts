// Rewriting the addresses in sender headers (From, Sender, Reply-To, Resent-From, ...) and
// recipient headers (To, Cc, Bcc, Resent-To, ...): each address is rewritten to canonical
// form in the message's header rewriting context (local, or remote with
// remote_header_rewrite_domain), then mapped through the canonical maps and masquerading
// that header_sender / header_recipient classes name. When anything changed, the header is
// rebuilt from its tokens with one address per line and folded back to lines of about 70
// characters, continuation lines starting with a TAB; otherwise it is kept as it was.
// Called by message.ts for known sender/recipient headers. Trusts the address library.
// Models cleanup_rewrite_sender/cleanup_rewrite_recip and cleanup_fold_header in
// src/cleanup/cleanup_message.c, and cleanup_rewrite_tree/cleanup_map11_tree.

import { parseAddressTokens } from '../global/address/parse.ts';
import { externalize, externalizeAddress } from '../global/address/render.ts';
import { quoteLocalPart, unquoteLocalPart } from '../global/address/quote.ts';
import { scanTokens, type Token } from '../global/address/tokens.ts';
import { mapAddressClass } from './envelope.ts';
import type { CleanupCore } from './core.ts';
import type { CleanupState, HeaderOptions } from './state.ts';

/** Where cleanup_fold_header starts a new line. */
export const FOLD_COLUMN = 70;

/** Joins the one-address-per-line text into lines of under FOLD_COLUMN characters. */
export function foldHeader(text: string): string {
  const lines = text.split('\n');
  let result = lines[0] ?? '';
  let lineStart = 0;
  for (const line of lines.slice(1)) {
    if (result.length - lineStart + 1 + line.length < FOLD_COLUMN) {
      result += ` ${line}`;
    } else {
      result += `\n${line}`;
      lineStart = result.length - line.length;
    }
  }
  return result;
}

/** Splits header text into output lines, adding a TAB to continuation lines that do not
 *  start with white space (cleanup_out_header). */
export function headerOutputLines(text: string): string[] {
  return text.split('\n').map((line, index) => (index === 0 || line.startsWith(' ') || line.startsWith('\t') ? line : `\t${line}`));
}

/** Rewrites one address (external form) and reports whether it changed. */
async function rewriteOne(core: CleanupCore, state: CleanupState, external: string, className: 'headerSender' | 'headerRecipient'): Promise<string> {
  const context = state.headerRewriteContext ?? 'local';
  let current = external === '' ? external : await core.rewrite(context, external);
  const internal = unquoteLocalPart(current);
  const mapped = await mapAddressClass(core, state, internal, className, 'header');
  if (mapped !== internal) current = quoteLocalPart(mapped, { eightBitClean: true });
  return current;
}

/** The header text after rewriting, or the same text when no address changed. */
export async function rewriteHeaderAddresses(core: CleanupCore, state: CleanupState, options: HeaderOptions, text: string): Promise<string> {
  const colon = text.indexOf(':');
  const name = text.slice(0, colon);
  const tokens = parseAddressTokens(text.slice(colon + 1));
  const className = options.sender ? 'headerSender' : 'headerRecipient';
  let changed = false;
  const rewritten: Token[] = [];
  for (const token of tokens) {
    if (token.kind !== 'address') {
      rewritten.push(token);
      continue;
    }
    const before = externalizeAddress(token);
    const after = await rewriteOne(core, state, before, className);
    if (after === before) {
      rewritten.push(token);
    } else {
      changed = true;
      rewritten.push({ kind: 'address', tokens: scanTokens(after) });
    }
  }
  if (!changed) return text;
  const value = externalize(rewritten, { lineBreaks: true, truncateNonAddress: true, warn: (warning) => core.log.warn(warning) });
  return foldHeader(`${name}: ${value}`);
}
