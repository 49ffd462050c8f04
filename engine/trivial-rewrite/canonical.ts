// The first half of address resolution: reduce an internal-form address to the final
// recipient and decide whether its domain is this host's. Local domains are stripped one
// after another ("user%remote@local" and "remote!user@local" route through this host);
// routing operators left over are rewritten in the local context; a quoted local part may
// be cracked open to find '@', '%' or '!' (resolve_dequoted_address, which stops
// "user@remote"@local relay tricks); an empty local part becomes
// empty_address_recipient; an address without a domain gets @$myhostname. The loop is
// bounded by the address length plus 100 rounds, as in Postfix.
// Called by resolve.ts. Trusts its settings; throws MapError when mydestination fails.
// Models the strip-local-domain loop at the top of resolve_addr() in
// src/trivial-rewrite/resolve.c.

import { quoteLocalPart } from '../global/address/quote.ts';
import { internalize } from '../global/address/render.ts';
import { operator, scanTokens, type Token } from '../global/address/tokens.ts';
import { isLocalDomain } from './local-domain.ts';
import { lastOperator, rewriteTokens } from './rewrite.ts';
import type { ResolveSettings } from './settings.ts';
import type { ResolverTables } from './tables.ts';

export type Canonical =
  | { kind: 'done'; recipient: string; domainIsLocal: boolean }
  | { kind: 'gave-up'; rounds: number };

const isOp = (token: Token | undefined, text: string): boolean => token?.kind === 'operator' && token.text === text;
const isEmptyQuoted = (tokens: readonly Token[]): boolean =>
  tokens.length === 1 && tokens[0]?.kind === 'quoted' && tokens[0].text === '';

/** The last routing operator in a quoted local part, when the settings let it count. */
function routingOperatorIn(text: string, settings: ResolveSettings): number {
  const at = text.lastIndexOf('@');
  if (at >= 0) return at;
  if (settings.rewrite.allowPercentHack) {
    const percent = text.lastIndexOf('%');
    if (percent >= 0) return percent;
  }
  if (settings.rewrite.swapBangpath) return text.lastIndexOf('!');
  return -1;
}

export async function canonicalRecipient(address: string, settings: ResolveSettings, tables: ResolverTables): Promise<Canonical> {
  let tokens: Token[] = scanTokens(quoteLocalPart(address, { eightBitClean: true }));
  let savedDomain: Token[] | undefined;
  let remoteDomain = false;
  const roundsMax = address.length + 100;
  for (let round = 0; ; round++) {
    if (round > roundsMax) return { kind: 'gave-up', rounds: round };
    const last = tokens.length - 1;
    if (isOp(tokens[last], '.') && lastOperator(tokens, '@') >= 0 && !isOp(tokens[last - 1], '.') && !isOp(tokens[last - 1], '@')) {
      tokens.pop();
    }
    if (settings.resolveNullDomain && isOp(tokens[tokens.length - 1], '@')) tokens.pop();

    // Strip (and keep) @domain when the domain is local; stop at a remote domain.
    const at = lastOperator(tokens, '@');
    if (at >= 0) {
      const domainTokens = tokens.slice(at + 1);
      if (domainTokens.length > 0 && !(await isLocalDomain(internalize(domainTokens), tables))) {
        remoteDomain = true;
        break;
      }
      savedDomain = tokens.slice(at);
      tokens = tokens.slice(0, at);
    }

    const rewriting = settings.rewrite;
    if (lastOperator(tokens, '@') >= 0 || (rewriting.swapBangpath && lastOperator(tokens, '!') >= 0)
      || (rewriting.allowPercentHack && lastOperator(tokens, '%') >= 0)) {
      tokens = rewriteTokens('local', tokens, rewriting);
      continue;
    }

    const only = tokens.length === 1 ? tokens[0] : undefined;
    if (settings.resolveDequotedAddress && only?.kind === 'quoted') {
      const position = routingOperatorIn(only.text, settings);
      if (position >= 0) {
        let text = only.text;
        if (text.charAt(position) === '%') text = `${text.slice(0, position)}@${text.slice(position + 1)}`;
        if (text.charAt(position) === '@') text = quoteLocalPart(text, { eightBitClean: true });
        tokens = rewriteTokens('local', scanTokens(text), rewriting);
        continue;
      }
    }

    if (isEmptyQuoted(tokens)) tokens = [];
    if (tokens.length === 0) {
      tokens = scanTokens(settings.emptyAddressRecipient);
      continue;
    }
    if (at < 0 && savedDomain === undefined) {
      tokens.push(operator('@'), ...scanTokens(settings.myhostname));
      continue;
    }
    break;
  }
  if (!remoteDomain) tokens.push(...(savedDomain ?? [operator('@'), ...scanTokens(settings.myhostname)]));
  return { kind: 'done', recipient: internalize(tokens), domainIsLocal: !remoteDomain };
}
