// Starts a scenario's scripted actors (types.ts) on the world's scheduler and network: each
// at bootMs + atMs, as one scheduler event. An actor whose `from` (or a responder's
// `address`) is an address no world host owns becomes a small host of its own on the
// network, named after the actor, with nothing but that address (no disk, no Postfix).
// Clients' transcripts land in the reports as they finish. Called by engine/sim/world.ts
// (bootWorld) and tests. Trusts the scenario; an unknown host name is refused at boot.

import type { LoadedScenario } from '../scenario.ts';
import type { Listener, Network, Timers } from '../../platform/types.ts';
import { runClient, type ClientTranscript } from './client.ts';
import { startResponder } from './responder.ts';
import { spammerSteps } from './spammer.ts';
import type { ActorSpec } from './types.ts';

export type { ActorSpec, ClientStep, ClientActorSpec, SpammerActorSpec, ResponderActorSpec, ResponderReplies } from './types.ts';
export { relayAttempts } from './spammer.ts';

/** Actors one scenario may declare. */
export const SCENARIO_ACTORS_MAX = 1000;

export interface ActorReport {
  actor: string;
  kind: ActorSpec['kind'];
  /** A client's or spammer's dialog as it went. */
  transcript?: ClientTranscript;
  /** A responder's listener, once it listens. */
  listener?: Listener;
  error?: string;
}

/** The network an actor acts from: a world host's (its current boot), or a host of the
 *  actor's own that holds `address`. */
function networkOf(loaded: LoadedScenario, actor: string, from: string): { net: Network; host: string } {
  const entry = loaded.hosts.find((candidate) => candidate.name === from || candidate.addresses.includes(from));
  if (entry !== undefined) return { net: entry.platform.net, host: entry.name };
  const owner = loaded.network.ownerOf(from);
  if (owner !== undefined && owner !== actor) throw new Error(`actor ${actor}: address ${from} belongs to ${owner}`);
  loaded.network.addAddresses(actor, [from]);
  return { net: loaded.network.attach(actor, loaded.trace), host: actor };
}

/** A world host's name stands for its first address. */
function addressOf(loaded: LoadedScenario, to: string): string {
  return loaded.hosts.find((entry) => entry.name === to)?.addresses[0] ?? to;
}

export function startActors(specs: readonly ActorSpec[], loaded: LoadedScenario, reports: ActorReport[]): void {
  if (specs.length > SCENARIO_ACTORS_MAX) throw new Error(`more than ${SCENARIO_ACTORS_MAX} scenario actors`);
  const names = new Set<string>();
  for (const spec of specs) {
    if (names.has(spec.name)) throw new Error(`two actors named ${spec.name}`);
    names.add(spec.name);
    if (spec.kind !== 'responder' && !loaded.hosts.some((entry) => entry.name === spec.from) && !/^[\d.:a-fA-F]+$/.test(spec.from)) {
      throw new Error(`actor ${spec.name}: from ${spec.from} is neither a host nor an address`);
    }
  }
  const timers: Timers = { after: (delayMs, fn) => loaded.scheduler.after(delayMs, fn, 'actor') };
  for (const spec of specs) {
    loaded.scheduler.at(loaded.bootMs + Math.max(0, spec.atMs), () => {
      const report: ActorReport = { actor: spec.name, kind: spec.kind };
      const failed = (error: unknown): void => {
        report.error = error instanceof Error ? error.message : String(error);
        reports.push(report);
      };
      try {
        if (spec.kind === 'responder') {
          const { net, host } = networkOf(loaded, spec.name, spec.address);
          void startResponder({ name: spec.name, net, trace: loaded.trace, host, address: spec.address, port: spec.port ?? 25, replies: spec.replies ?? {} })
            .then((listener) => { report.listener = listener; reports.push(report); }, failed);
          return;
        }
        const { net, host } = networkOf(loaded, spec.name, spec.from);
        const steps = spec.kind === 'spammer' ? spammerSteps(spec) : spec.steps;
        const greeting = spec.kind === 'client' ? spec.greeting !== false : true;
        void runClient({ name: spec.name, net, timers, trace: loaded.trace, host, to: addressOf(loaded, spec.to), port: spec.port ?? 25, greeting, steps })
          .then((transcript) => { report.transcript = transcript; reports.push(report); }, failed);
      } catch (error) {
        failed(error);
      }
    }, `actor ${spec.name}`);
  }
}
