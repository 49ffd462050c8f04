// Address rewriting to canonical form, trivial-rewrite's "rewrite" request. In the local
// context (mail from this host or its trusted clients) an address without '@' gets
// "@$myorigin" and a domain without a dot gets ".$mydomain"; in the remote context both use
// remote_header_rewrite_domain, and nothing is appended when it is empty. Before that,
// a source route "@a,@b:user@c" is stripped, "site!user" becomes "user@site"
// (swap_bangpath) or "user%site" becomes "user@site" (allow_percent_hack), and one
// trailing dot leaves the domain. An empty address ("" or a lone "@") stays empty.
// Called by api.ts (rewriteAddress) and by resolve.ts, which re-canonicalizes after it
// strips a local domain. Trusts its settings; works on a flat token list bounded by the
// scanner. Models rewrite_tree() and rewrite_proto() in src/trivial-rewrite/rewrite.c.

import { internalize } from '../global/address/render.ts';
import { quoteLocalPart } from '../global/address/quote.ts';
import { operator, scanTokens, word, type Token } from '../global/address/tokens.ts';
import type { RewriteSettings } from './settings.ts';

export type RewriteContext = 'local' | 'remote';

const isOp = (token: Token | undefined, text: string): boolean => token?.kind === 'operator' && token.text === text;

/** Index of the last operator `text`, or -1 (tok822_rfind_type). */
export function lastOperator(tokens: readonly Token[], text: string): number {
  for (let index = tokens.length - 1; index >= 0; index--) if (isOp(tokens[index], text)) return index;
  return -1;
}

/** Index of the first operator `text` at or after `from`, or -1 (tok822_find_type). */
export function firstOperator(tokens: readonly Token[], text: string, from = 0): number {
  for (let index = from; index < tokens.length; index++) if (isOp(tokens[index], text)) return index;
  return -1;
}

function originAndDomain(context: RewriteContext, settings: RewriteSettings): { origin: string; domain: string } {
  if (context === 'remote') return { origin: settings.remoteHeaderRewriteDomain, domain: settings.remoteHeaderRewriteDomain };
  return { origin: settings.myorigin, domain: settings.mydomain };
}

/** Rewrites a flat token list (as scanned from one address) and returns the new list.
 *  `info` receives the compatibility notices Postfix logs at level "info". */
export function rewriteTokens(context: RewriteContext, input: readonly Token[], settings: RewriteSettings,
  info?: (text: string) => void): Token[] {
  let tokens = [...input];
  const only = tokens.length === 1 ? tokens[0] : undefined;
  if (only?.kind === 'quoted' && only.text === '') return tokens;
  if (isOp(only, '@')) return [word('quoted', '')];
  if (tokens.length === 0) return tokens;

  // A source route "@a,@b:" goes, unless the ':' is the last token.
  const colon = isOp(tokens[0], '@') ? firstOperator(tokens, ':') : -1;
  if (colon >= 0 && colon !== tokens.length - 1) tokens = tokens.slice(colon + 1);

  const { origin, domain } = originAndDomain(context, settings);
  if (lastOperator(tokens, '@') < 0) {
    const bang = settings.swapBangpath ? firstOperator(tokens, '!') : -1;
    const percent = settings.allowPercentHack ? lastOperator(tokens, '%') : -1;
    if (bang >= 0) {
      tokens = [...tokens.slice(bang + 1), operator('@'), ...tokens.slice(0, bang)];
    } else if (percent >= 0) {
      tokens[percent] = operator('@');
    } else if (settings.appendAtMyorigin && origin !== '') {
      tokens.push(operator('@'), ...scanTokens(origin));
    }
  }

  const at = lastOperator(tokens, '@');
  const domainTokens = at >= 0 ? tokens.slice(at + 1) : [];
  if (settings.appendDotMydomain && domain !== '' && at >= 0 && domainTokens.length > 0
    && !domainTokens.some((token) => token.kind === 'literal') && firstOperator(domainTokens, '.') < 0) {
    const first = domainTokens[0];
    if (settings.warnCompatibilityAppendDotMydomain && first !== undefined && first.kind !== 'operator'
      && first.kind !== 'address' && first.kind !== 'group-start' && first.text.toLowerCase() !== 'localhost') {
      info?.(`using backwards-compatible default setting append_dot_mydomain=yes to rewrite "${first.text}" to "${first.text}.${domain}"`);
    }
    tokens.push(operator('.'), ...scanTokens(domain));
  }

  // One trailing dot goes, but not from "..", nor the dot right after '@'.
  const last = tokens.length - 1;
  if (isOp(tokens[last], '.') && last > 0 && !isOp(tokens[last - 1], '.') && !isOp(tokens[last - 1], '@')) tokens.pop();
  return tokens;
}

/** The rewrite request: external-form address in, external-form address out. An empty
 *  input is returned as it is (Postfix warns "rewrite_addr: null address"). */
export function rewriteExternal(context: RewriteContext, address: string, settings: RewriteSettings,
  hooks: { warn?: (text: string) => void; info?: (text: string) => void } = {}): string {
  if (address === '') {
    hooks.warn?.('rewrite_addr: null address');
    return address;
  }
  // Postfix writes out the address group as a whole: its internal form with the local
  // part re-quoted, so "!" becomes '""@' and "a b@c" becomes '"a b"@c'.
  return quoteLocalPart(internalize(rewriteTokens(context, scanTokens(address), settings, hooks.info)), { eightBitClean: true });
}

/** The same on internal form, for callers that keep addresses unquoted. */
export function rewriteInternal(context: RewriteContext, tokens: readonly Token[], settings: RewriteSettings): string {
  return internalize(rewriteTokens(context, tokens, settings));
}
