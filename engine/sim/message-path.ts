// Message paths (issue 5, item 5): from a world's trace, the path of each message across
// its stages and hosts. A stage is one queue file's life on one host (the trace events that
// carry that host and queue id, from pickup or smtpd's client= to qmgr's removed). Stages
// join where Postfix's own logs join them: an smtp/lmtp delivery "status=sent (250 ...
// queued as ID)" to relay=name[address]:port leads to stage ID on the host that owns that
// address; local's "forwarded as ID" and a bounce's "sender non-delivery notification: ID"
// lead to stage ID on the same host. Each delivery keeps Postfix's delays a/b/c/d.
// Called by the World (engine/sim/world.ts messagePaths), the UI and graders. Trusts the
// trace; a link whose target stage is not in the trace is kept with `to` undefined.

import type { TraceEvent } from '../global/trace.ts';
import type { DeliveryDelays, DeliveryStatusName } from '../global/trace-pipeline.ts';

/** Stages one path may span (a mail loop between hosts ends here, not in a hang). */
export const PATH_STAGES_MAX = 1000;

export type StageKey = `${string}/${string}`;

export interface PathDelivery {
  recipient: string;
  relay: string;
  status: DeliveryStatusName;
  dsn: string;
  text: string;
  delaySeconds: number;
  delays: DeliveryDelays;
  atMs: number;
}

export type LinkKind = 'relay' | 'forward' | 'bounce';

export interface PathLink {
  kind: LinkKind;
  /** The recipient the link was made for (relay, forward); the notice for a bounce. */
  via: string;
  /** The next stage's key, "host/queueId"; undefined when it is not in the trace. */
  to: StageKey | undefined;
  toHost: string | undefined;
  toQueueId: string;
}

export interface PathStage {
  key: StageKey;
  host: string;
  queueId: string;
  firstMs: number;
  lastMs: number;
  sender?: string;
  messageId?: string;
  /** The trace events of this stage, in order. */
  events: TraceEvent[];
  deliveries: PathDelivery[];
  links: PathLink[];
}

export interface MessagePath {
  /** The stage the message entered mail at (no link leads to it). */
  origin: StageKey;
  /** Every stage reachable from the origin, in the order first reached (breadth first). */
  stages: PathStage[];
}

export interface PathOptions {
  /** Which host owns a network address (SimNetwork.ownerOf). */
  ownerOf?: (address: string) => string | undefined;
}

function keyOf(host: string, queueId: string): StageKey {
  return `${host}/${queueId}`;
}

/** Groups the trace into stages by (host, queue id). */
export function messageStages(trace: readonly TraceEvent[]): Map<StageKey, PathStage> {
  const stages = new Map<StageKey, PathStage>();
  for (const event of trace) {
    if (event.queueId === undefined || event.queueId === '') continue;
    const key = keyOf(event.host, event.queueId);
    let stage = stages.get(key);
    if (stage === undefined) {
      stage = { key, host: event.host, queueId: event.queueId, firstMs: event.atMs, lastMs: event.atMs, events: [], deliveries: [], links: [] };
      stages.set(key, stage);
    }
    stage.events.push(event);
    stage.lastMs = event.atMs;
    addDetail(stage, event);
  }
  return stages;
}

function addDetail(stage: PathStage, event: TraceEvent): void {
  if (event.kind === 'qmgr.active') stage.sender ??= event.sender;
  else if (event.kind === 'cleanup.message-id') stage.messageId ??= event.messageId;
  else if (event.kind === 'delivery.status') {
    stage.deliveries.push({
      recipient: event.recipient, relay: event.relay, status: event.status, dsn: event.dsn, text: event.text,
      delaySeconds: event.delaySeconds, delays: event.delays, atMs: event.atMs,
    });
  }
}

/** The links out of each stage, filled in place. */
function linkStages(stages: Map<StageKey, PathStage>, options: PathOptions): void {
  for (const stage of stages.values()) {
    for (const event of stage.events) {
      const link = linkOf(stage, event, stages, options);
      if (link !== undefined) stage.links.push(link);
    }
  }
}

function linkOf(stage: PathStage, event: TraceEvent, stages: Map<StageKey, PathStage>, options: PathOptions): PathLink | undefined {
  if (event.kind === 'local.forwarded') return sameHost('forward', event.recipient, stage.host, event.newQueueId, stages);
  if (event.kind === 'bounce.notification') return sameHost('bounce', event.notice, stage.host, event.newQueueId, stages);
  if (event.kind !== 'delivery.status' || event.status !== 'sent') return undefined;
  const queued = /\bqueued as ([0-9A-Za-z]+)\)?\s*$/.exec(event.text);
  if (queued === null) return undefined;
  const address = /\[([^\]]+)\]/.exec(event.relay)?.[1];
  const owner = address === undefined ? undefined : options.ownerOf?.(address) ?? undefined;
  const toQueueId = queued[1]!;
  const candidates = [...stages.values()].filter((other) => other.queueId === toQueueId && other !== stage
    && (owner === undefined ? other.firstMs >= stage.firstMs : other.host === owner));
  const target = candidates[0];
  return { kind: 'relay', via: event.recipient, to: target?.key, toHost: target?.host ?? owner, toQueueId };
}

function sameHost(kind: LinkKind, via: string, host: string, queueId: string, stages: Map<StageKey, PathStage>): PathLink {
  const key = keyOf(host, queueId);
  return { kind, via, to: stages.has(key) ? key : undefined, toHost: host, toQueueId: queueId };
}

/** Every message's path: one per stage that no link leads to, in trace order. */
export function messagePaths(trace: readonly TraceEvent[], options: PathOptions = {}): MessagePath[] {
  const stages = messageStages(trace);
  linkStages(stages, options);
  const reached = new Set<StageKey>();
  for (const stage of stages.values()) for (const link of stage.links) if (link.to !== undefined && link.to !== stage.key) reached.add(link.to);
  const paths: MessagePath[] = [];
  for (const stage of stages.values()) {
    if (reached.has(stage.key)) continue;
    paths.push({ origin: stage.key, stages: walk(stage, stages) });
  }
  return paths;
}

function walk(origin: PathStage, stages: Map<StageKey, PathStage>): PathStage[] {
  const order: PathStage[] = [origin];
  const seen = new Set<StageKey>([origin.key]);
  for (let index = 0; index < order.length && order.length < PATH_STAGES_MAX; index++) {
    for (const link of order[index]!.links) {
      if (link.to === undefined || seen.has(link.to)) continue;
      seen.add(link.to);
      order.push(stages.get(link.to)!);
    }
  }
  return order;
}

/** The path that contains stage host/queueId, if any. */
export function pathOf(paths: readonly MessagePath[], host: string, queueId: string): MessagePath | undefined {
  const key = keyOf(host, queueId);
  return paths.find((path) => path.stages.some((stage) => stage.key === key));
}
