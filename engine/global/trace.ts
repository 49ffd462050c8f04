// Trace events: the one record of what happened (DESIGN.md section 4). Every hand-off in the
// engine emits one; the maillog, the UI, graders and benchmarks all read this stream and
// nothing logs around it. Emitters fill in who and what; the sink stamps seq and time.
// Later issues add kinds to TraceDetail; readers switch on `kind`.

import type { Clock } from '../platform/types.ts';
import type { PipelineTraceDetail } from './trace-pipeline.ts';
import type { SmtpClientTraceDetail } from './trace-smtp-client.ts';
import type { SmtpdTraceDetail } from './trace-smtpd.ts';
import type { SimTraceDetail } from './trace-sim.ts';

export type { PipelineTraceDetail } from './trace-pipeline.ts';
export type { SmtpClientTraceDetail } from './trace-smtp-client.ts';
export type { SmtpdTraceDetail } from './trace-smtpd.ts';

/** Postfix's syslog severities, as they appear in "postconf: warning: ..." lines. */
export type Severity = 'info' | 'warning' | 'error' | 'fatal' | 'panic';

export type TraceDetail =
  /** The mail pipeline's steps: see trace-pipeline.ts. */
  | PipelineTraceDetail
  /** The smtp/lmtp client's lookups, connections and conversation: see trace-smtp-client.ts. */
  | SmtpClientTraceDetail
  /** smtpd's sessions: see trace-smtpd.ts. */
  | SmtpdTraceDetail
  /** The simulated world's faults and scripted actors: see trace-sim.ts. */
  | SimTraceDetail
  /** A diagnostic in Postfix's shape: "<program>: <severity>: <text>" on stderr and in the maillog. */
  | { kind: 'diagnostic'; severity: Severity; text: string }
  /** main.cf or master.cf was read (at start, reload, or by an admin command). */
  | { kind: 'config.read'; file: string; entries: number }
  /** A lookup table answered (or did not) for a key. */
  | { kind: 'map.lookup'; table: string; key: string; found: boolean; value?: string }
  /** trivial-rewrite rewrote an address to canonical form (external form in and out). No
   *  log line. (Resolutions are 'trivial-rewrite.resolve' in trace-pipeline.ts.) */
  | { kind: 'trivial-rewrite.rewrite'; context: 'local' | 'remote'; address: string; result: string }
  /** An admin command ran from a shell or the CLI. */
  | { kind: 'command.exit'; argv: string[]; exitCode: number }
  /** A TLS handshake finished (or failed) on a connection; simulated in sim, real in node. */
  | { kind: 'tls.handshake'; role: 'server' | 'client'; localAddress: string; localPort: number;
      remoteAddress: string; remotePort: number; ok: boolean; protocol?: string; cipher?: string;
      peerVerified?: boolean; serverName?: string; error?: string };

export interface TraceOrigin {
  host: string;
  /** The program name as it appears in log tags: "postconf", "smtpd", "cleanup". */
  service: string;
  pid: number;
  queueId?: string;
  messageId?: string;
  sessionId?: string;
}

export type TraceEvent = TraceOrigin & TraceDetail & { seq: number; atMs: number };

export type TraceInput = TraceOrigin & TraceDetail;

export interface TraceSink {
  emit(input: TraceInput): TraceEvent;
  /** Receives every later event; returns the unsubscribe function. */
  subscribe(listener: (event: TraceEvent) => void): () => void;
}

/** A sink that numbers events in emission order and fans them out to subscribers. */
export function createTraceSink(clock: Clock, firstSeq = 1): TraceSink {
  let seq = firstSeq;
  const listeners = new Set<(event: TraceEvent) => void>();
  return {
    emit(input) {
      // A copy, not the input with seq and atMs added in place: the copy is laid out
      // compactly (the emitters' objects are often built by spreads and grow out-of-object
      // property arrays), and a world keeps every event: in place measured 244 instead of
      // 173 bytes retained per event in two-hosts for the same CPU. Object.assign onto a
      // new object, not a spread: the events' many shapes make the spread's clone site
      // megamorphic, and its slow path cost ~7 us per event (the same keys in the same
      // order either way: input's own keys, then seq and atMs).
      const event = Object.assign({}, input) as TraceEvent;
      event.seq = seq++;
      event.atMs = clock.nowMs();
      for (const listener of listeners) listener(event);
      return event;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
  };
}
