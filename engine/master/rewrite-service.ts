// The trivial-rewrite service: master.cf's "rewrite unix ... trivial-rewrite" entry, wired
// to H8's callable core (engine/trivial-rewrite/api.ts). It opens the resolver's tables once
// and keeps them until the service's configuration changes (a reload gives the service a
// new MainConfig), as the daemon opens its tables at start-up. cleanup, qmgr and smtpd call
// it through HostRuntime.rewrite(). Trusts the core for answers; a table that fails while
// opening is reported through the service's log and retried on the next request.
// Models src/trivial-rewrite/trivial-rewrite.c (the server loop around rewrite/resolve).

import type { MainConfig } from '../global/config/main-cf.ts';
import { openTrivialRewrite, SERVICE_NAME, type TrivialRewrite } from '../trivial-rewrite/api.ts';
import type {
  AddressClass, Resolution, RewriteEndpoint, RunningService, ServiceContext, ServiceProgram,
} from './contracts.ts';

/** Postfix's resolve flags as the contract names them. */
function flagNames(resolution: Awaited<ReturnType<TrivialRewrite['resolve']>>): string[] {
  const names: string[] = [];
  if (resolution.flags.fail) names.push('fail');
  if (resolution.flags.error) names.push('error');
  if (resolution.flags.routed) names.push('routed');
  return names;
}

export interface RewriteService extends RunningService, RewriteEndpoint {}

export function startRewriteService(context: ServiceContext): RewriteService {
  let opened: { config: MainConfig; core: Promise<TrivialRewrite> } | undefined;
  const core = (): Promise<TrivialRewrite> => {
    const config = context.config();
    if (opened === undefined || opened.config !== config) {
      // Its events go out through the core, not context.trace: the process shows itself here.
      context.active?.();
      const pending = openTrivialRewrite({ config, host: context.host, reporter: context.log, pid: context.pid });
      opened = { config, core: pending };
      // A failed open is not cached: the next request tries again.
      pending.catch(() => { if (opened?.core === pending) opened = undefined; });
    }
    return opened.core;
  };
  return {
    async rewrite(rewriteContext, address) {
      return (await core()).rewrite(rewriteContext, address);
    },
    async resolve(sender, address): Promise<Resolution> {
      const resolution = await (await core()).resolve(address, { sender });
      return {
        addressClass: resolution.class as AddressClass,
        transport: resolution.transport,
        nexthop: resolution.nexthop,
        recipient: resolution.recipient,
        flags: flagNames(resolution),
      };
    },
    async stop() {
      opened = undefined;
    },
  };
}

export const trivialRewriteProgram: ServiceProgram = {
  program: SERVICE_NAME,
  start: async (context) => startRewriteService(context),
};
