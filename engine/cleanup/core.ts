// What every processing step of cleanup reaches besides the message state: settings,
// tables, the rewrite client (trivial-rewrite), diagnostics and the trace. One CleanupCore
// lives per started cleanup service (and is rebuilt on reload, as Postfix's daemon re-reads
// main.cf); each open() gets its own CleanupState.
// Built by api.ts; read by envelope.ts, message.ts, checks.ts, finish.ts.
// Models the globals of src/cleanup/cleanup_init.c.

import type { Reporter } from '../global/msg.ts';
import type { PipelineTraceDetail } from '../global/trace-pipeline.ts';
import { quoteLocalPart, unquoteLocalPart } from '../global/address/quote.ts';
import type { AddressMapper } from './address-maps.ts';
import type { CleanupSettings, CleanupTables } from './settings.ts';

export type RewriteFunction = (context: 'local' | 'remote', address: string) => Promise<string>;

export interface CleanupCore {
  readonly settings: CleanupSettings;
  readonly tables: CleanupTables;
  readonly mapper: AddressMapper;
  /** trivial-rewrite's rewrite request: external form in and out. */
  readonly rewrite: RewriteFunction;
  readonly log: Reporter;
  /** Emits a trace event for the message `queueId`. */
  trace(queueId: string, detail: PipelineTraceDetail): void;
}

/** cleanup_rewrite_internal: quote, rewrite, unquote. */
export async function rewriteInternal(rewrite: RewriteFunction, context: 'local' | 'remote', address: string): Promise<string> {
  return unquoteLocalPart(await rewrite(context, quoteLocalPart(address, { eightBitClean: true })));
}

/** The mapper the address maps use, over a rewrite function. */
export function makeMapper(settings: CleanupSettings, tables: CleanupTables, rewrite: RewriteFunction, log: Reporter): AddressMapper {
  return {
    recipientDelimiter: settings.recipientDelimiter,
    mydestination: tables.mydestination,
    canonicalize: (address) => rewriteInternal(rewrite, 'local', address),
    warn: (text) => log.warn(text),
  };
}
