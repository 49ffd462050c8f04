// Turns the world's trace events into the rows of the page's event list (protocol.ts
// TraceRow): time, host, service, kind, queue id and a short text -- the maillog line's text
// where Postfix would log one (engine/global/maillog/render.ts), else a compact summary of
// the event's own fields. Called by the worker's world controller (./world-control.ts).
// Trusts the events; a renderer that throws on an odd event falls back to the summary.

import type { TraceEvent } from '../../../engine/global/trace.ts';
import { renderLogText } from '../../../engine/global/maillog/render.ts';
import type { TraceRow, TraceTone } from './protocol.ts';

/** Characters of text one row carries at most. */
export const ROW_TEXT_LENGTH_MAX = 400;
/** Fields a summary quotes at most. */
const SUMMARY_FIELDS_MAX = 8;
/** Characters one summarised field value keeps. */
const SUMMARY_VALUE_LENGTH_MAX = 60;

const originFields = new Set(['host', 'service', 'pid', 'queueId', 'messageId', 'sessionId', 'seq', 'atMs', 'kind']);

export function traceRow(event: TraceEvent): TraceRow {
  let logged: string | undefined;
  try {
    logged = renderLogText(event);
  } catch {
    logged = undefined;
  }
  const text = logged ?? summary(event);
  return {
    seq: event.seq,
    atMs: event.atMs,
    host: event.host,
    service: event.service,
    kind: event.kind,
    queueId: event.queueId ?? '',
    text: text.length > ROW_TEXT_LENGTH_MAX ? `${text.slice(0, ROW_TEXT_LENGTH_MAX - 1)}…` : text,
    logged: logged !== undefined,
    tone: toneOf(event),
  };
}

function toneOf(event: TraceEvent): TraceTone {
  switch (event.kind) {
    case 'delivery.status':
      return event.status === 'sent' ? 'delivered' : event.status === 'deferred' ? 'deferred' : event.status === 'bounced' ? 'bounced' : 'plain';
    case 'qmgr.expired':
      return 'bounced';
    case 'cleanup.rejected':
      return 'rejected';
    case 'diagnostic':
      return event.severity === 'info' ? 'plain' : 'warning';
    default:
      return /reject/.test(event.kind) ? 'rejected' : 'plain';
  }
}

/** "argv exited 0", "table key -> value", or the event's own fields as name=value. */
function summary(event: TraceEvent): string {
  switch (event.kind) {
    case 'command.exit':
      return `${event.argv.join(' ')} exited ${event.exitCode}`;
    case 'map.lookup':
      return `${event.table}: ${event.key} → ${event.found ? (event.value ?? '') : 'not found'}`;
    case 'queue.moved':
      return `${event.from} → ${event.to}`;
    default:
      break;
  }
  const parts: string[] = [];
  for (const [name, value] of Object.entries(event)) {
    if (originFields.has(name) || value === undefined) continue;
    if (parts.length >= SUMMARY_FIELDS_MAX) break;
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${name}=${shown.length > SUMMARY_VALUE_LENGTH_MAX ? `${shown.slice(0, SUMMARY_VALUE_LENGTH_MAX - 1)}…` : shown}`);
  }
  return parts.join(' ');
}
