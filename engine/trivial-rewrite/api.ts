// trivial-rewrite's callable core (CONVENTIONS.md rule 1): rewrite an address to canonical
// form in the local or remote context, and resolve a recipient to (class, transport,
// nexthop, recipient, flags). openTrivialRewrite reads main.cf's parameters and opens the
// tables once, as the daemon does at start and reload, and traces every answer
// ('trivial-rewrite.rewrite', 'trivial-rewrite.resolve') on the host's trace sink. The
// service wiring (a listener that cleanup, qmgr and smtpd query) comes with the pipeline;
// until then they call this module directly. rewriteAddress and resolveAddress are the
// plain functions underneath, for tests and one-off callers.
// Trusts MainConfig (H1) and the lookup tables (H3). Models src/trivial-rewrite/
// trivial-rewrite.c (rewrite_service/resolve_service) and the rewrite_clnt/resolve_clnt
// calls other programs make.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Host } from '../global/host.ts';
import type { MapContext } from '../global/maps/types.ts';
import type { Reporter } from '../global/msg.ts';
import { quoteLocalPart, unquoteLocalPart } from '../global/address/quote.ts';
import { resolveAddress as resolveWithSettings, type Resolution, type ResolveOptions } from './resolve.ts';
import { rewriteExternal, type RewriteContext } from './rewrite.ts';
import { readResolveSettings, readRewriteSettings, type ResolveSettings, type RewriteSettings } from './settings.ts';
import { openResolverTables, type ResolverTables } from './tables.ts';
import type { RewriteEndpoint, Resolution as EndpointResolution } from '../master/contracts.ts';

export type { AddressClass, Resolution, ResolveFlags, ResolveOptions } from './resolve.ts';
export type { RewriteContext } from './rewrite.ts';
export type { ResolveSettings, RewriteSettings, ResolverContextSettings } from './settings.ts';
export type { ResolverTables } from './tables.ts';
export { readResolveSettings, readRewriteSettings } from './settings.ts';
export { openResolverTables } from './tables.ts';
export { applyTransportEntry } from './transport.ts';

/** The program name in log tags and trace events. */
export const SERVICE_NAME = 'trivial-rewrite';

const isMainConfig = (value: MainConfig | RewriteSettings | ResolveSettings): value is MainConfig => 'getBool' in value;

/** Rewrites an external-form address (rewrite_clnt). Appending happens only when the
 *  context's domains are set: $myorigin/$mydomain for 'local', remote_header_rewrite_domain
 *  for 'remote'. */
export function rewriteAddress(context: RewriteContext, address: string, config: MainConfig | RewriteSettings,
  hooks: { warn?: (text: string) => void; info?: (text: string) => void } = {}): string {
  const settings = isMainConfig(config) ? readRewriteSettings(config) : config;
  return rewriteExternal(context, address, settings, hooks);
}

/** The same for an internal-form address (rewrite_clnt_internal): quote, rewrite, unquote. */
export function rewriteInternalAddress(context: RewriteContext, address: string, config: MainConfig | RewriteSettings,
  hooks: { warn?: (text: string) => void; info?: (text: string) => void } = {}): string {
  return unquoteLocalPart(rewriteAddress(context, quoteLocalPart(address, { eightBitClean: true }), config, hooks));
}

/** Resolves an internal-form recipient with tables opened by openResolverTables. */
export function resolveAddress(address: string, config: MainConfig | ResolveSettings, tables: ResolverTables,
  options: ResolveOptions = {}): Promise<Resolution> {
  const settings = isMainConfig(config) ? readResolveSettings(config) : config as ResolveSettings;
  return resolveWithSettings(address, settings, tables, options);
}

export interface TrivialRewrite {
  readonly settings: ResolveSettings;
  readonly tables: ResolverTables;
  /** rewrite: external form in, external form out. */
  rewrite(context: RewriteContext, address: string): string;
  /** resolve: internal form in. */
  resolve(address: string, options?: ResolveOptions): Promise<Resolution>;
}

export interface OpenTrivialRewriteOptions {
  config: MainConfig;
  host: Host;
  reporter: Reporter;
  /** The pid in trace events (the daemon's process id). */
  pid: number;
  /** Where relative table names resolve; default: the configuration directory. */
  mapContext?: Partial<MapContext>;
  /** The machine's interface addresses, for inet_interfaces = all. */
  interfaceAddresses?: readonly string[];
}

/** The flags that are set, by name ("fail", "error", "routed"), as the pipeline's
 *  contracts and trace events carry them. */
export function flagNames(resolution: Resolution): string[] {
  const names: string[] = [];
  if (resolution.flags.fail) names.push('fail');
  if (resolution.flags.error) names.push('error');
  if (resolution.flags.routed) names.push('routed');
  return names;
}

/** The RewriteEndpoint of engine/master/contracts.ts over an opened TrivialRewrite, for
 *  the host runtime to hand to cleanup, qmgr and smtpd. */
export function rewriteEndpoint(rewriter: TrivialRewrite): RewriteEndpoint {
  return {
    rewrite: async (context, address) => rewriter.rewrite(context, address),
    resolve: async (sender, address): Promise<EndpointResolution> => {
      const resolution = await rewriter.resolve(address, { sender });
      return {
        addressClass: resolution.class, transport: resolution.transport, nexthop: resolution.nexthop,
        recipient: resolution.recipient, flags: flagNames(resolution),
      };
    },
  };
}

export async function openTrivialRewrite(options: OpenTrivialRewriteOptions): Promise<TrivialRewrite> {
  const settings = readResolveSettings(options.config);
  const context: MapContext = {
    fs: options.host.platform.fs,
    reporter: options.reporter,
    cwd: options.config.configDirectory,
    ...options.mapContext,
  };
  const tables = await openResolverTables({ config: options.config, settings, context, interfaceAddresses: options.interfaceAddresses });
  const hostName = options.host.name;
  const pid = options.pid;
  const trace = options.host.platform.trace;
  const hooks = {
    warn: (text: string) => options.reporter.warn(text),
    info: (text: string) => options.reporter.info(text),
  };
  // Trace inputs are written out key by key (origin first, as a spread of it would put
  // them): one object per answer instead of a spread.
  return {
    settings,
    tables,
    rewrite(rewriteContext, address) {
      const result = rewriteExternal(rewriteContext, address, settings.rewrite, hooks);
      trace.emit({ host: hostName, service: SERVICE_NAME, pid, kind: 'trivial-rewrite.rewrite', context: rewriteContext, address, result });
      return result;
    },
    async resolve(address, resolveOptions = {}) {
      const resolution = await resolveWithSettings(address, settings, tables, resolveOptions);
      trace.emit({
        host: hostName, service: SERVICE_NAME, pid, kind: 'trivial-rewrite.resolve', address, addressClass: resolution.class,
        transport: resolution.transport, nexthop: resolution.nexthop, recipient: resolution.recipient,
        flags: flagNames(resolution),
      });
      return resolution;
    },
  };
}
