// qmgr's side of the resolve protocol: the one-entry cache every Postfix client of
// trivial-rewrite keeps. A query for the same (sender, address) as the last one, within 30
// seconds of the answer to that one, gets the same answer without asking trivial-rewrite
// again; so a deferred scan that feeds a thousand messages for one recipient asks once
// (and trivial-rewrite traces one 'trivial-rewrite.resolve', not a thousand). A reload
// starts afresh, as the new qmgr process Postfix starts after one does. Failures (the
// service threw) are not kept.
// Called by service.ts (qmgrEnvironment's rewrite.resolve). Trusts the answer it is given.
// Models src/global/resolve_clnt.c (resolve_clnt's last_class/last_sender/last_addr cache
// and last_expire).

import type { Clock } from '../platform/types.ts';
import type { Resolution } from '../master/contracts.ts';

/** How long a cached answer serves, from the time it came (resolve_clnt's "+ 30"). */
export const RESOLVE_CACHE_SECONDS = 30;

export class ResolveCache {
  private sender = '';
  private address = '';
  private answer: Resolution | undefined;
  private expiresSeconds = 0;
  private generation: unknown;

  constructor(private readonly clock: Clock, private readonly ask: (sender: string, address: string) => Promise<Resolution>) {}

  /** The answer for (sender, address); `generation` (the configuration object) changing
   *  empties the cache. The cached answer is shared: callers only read it. */
  resolve(sender: string, address: string, generation: unknown): Promise<Resolution> | Resolution {
    if (generation !== this.generation) {
      this.generation = generation;
      this.answer = undefined;
    }
    const answer = this.answer;
    if (answer !== undefined && address !== '' && address === this.address && sender === this.sender
      && Math.floor(this.clock.nowMs() / 1000) < this.expiresSeconds) {
      return answer;
    }
    return this.query(sender, address, generation);
  }

  private async query(sender: string, address: string, generation: unknown): Promise<Resolution> {
    const answer = await this.ask(sender, address);
    if (generation === this.generation) {
      this.sender = sender;
      this.address = address;
      this.answer = answer;
      this.expiresSeconds = Math.floor(this.clock.nowMs() / 1000) + RESOLVE_CACHE_SECONDS;
    }
    return answer;
  }
}
