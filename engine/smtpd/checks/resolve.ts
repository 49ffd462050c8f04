// The address resolver as smtpd's restrictions use it: both addresses are rewritten in the
// local context first (so "alice" gets @$myorigin), then the recipient is resolved through
// trivial-rewrite, and the final recipient is folded to lower case. Answers are cached per
// sender+recipient for the life of the server process, bounded, as Postfix's ctable.
// Called by relay.ts, address.ts and access.ts. Trusts the RewriteEndpoint (trivial-rewrite).
// Models src/smtpd/smtpd_resolve.c.

import { quoteLocalPart, unquoteLocalPart } from '../../global/address/quote.ts';
import type { Resolution, RewriteEndpoint } from '../../master/contracts.ts';

/** Cached answers; the oldest goes first past this. */
export const RESOLVE_CACHE_ENTRIES_MAX = 100;

export interface SmtpdResolution extends Resolution {
  /** RESOLVE_CLASS_FINAL: local, alias or virtual. */
  final: boolean;
  fail: boolean;
  routed: boolean;
  error: boolean;
}

export class SmtpdResolver {
  private readonly cache = new Map<string, SmtpdResolution>();

  constructor(private readonly rewrite: RewriteEndpoint) {}

  private async canonical(address: string): Promise<string> {
    if (address === '') return '';
    const external = quoteLocalPart(address, { eightBitClean: true });
    return unquoteLocalPart(await this.rewrite.rewrite('local', external));
  }

  async resolve(sender: string | undefined, recipient: string): Promise<SmtpdResolution> {
    const key = `${sender ?? ''}\u0001${recipient}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const rewrittenSender = await this.canonical(sender ?? '');
    const rewrittenRecipient = await this.canonical(recipient);
    const answer = await this.rewrite.resolve(rewrittenSender, rewrittenRecipient);
    const result: SmtpdResolution = {
      ...answer,
      recipient: answer.recipient.toLowerCase(),
      final: answer.addressClass === 'local' || answer.addressClass === 'alias' || answer.addressClass === 'virtual',
      fail: answer.flags.includes('fail'),
      routed: answer.flags.includes('routed'),
      error: answer.flags.includes('error'),
    };
    if (this.cache.size >= RESOLVE_CACHE_ENTRIES_MAX) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    // A failed lookup is not cached: the next attempt may succeed.
    if (!result.fail) this.cache.set(key, result);
    return result;
  }
}
