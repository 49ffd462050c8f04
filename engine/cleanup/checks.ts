// header_checks, mime_header_checks, nested_header_checks and body_checks: look a header
// or body line up in the check tables and act on the result: REJECT (with optional
// "4.x.x/5.x.x text"), WARN, INFO, HOLD, DISCARD, FILTER, PASS, PREPEND, REPLACE, REDIRECT,
// BCC, STRIP, IGNORE, DUNNO/OK. Each action that Postfix logs is logged in its shape,
// "ID: reject: header Subject: x from local; from=<a> to=<b>: 5.7.1 text", as a
// 'cleanup.content-action' trace event.
// Called by message.ts for each header and body line. Trusts the tables; a table that fails
// marks the message for a temporary failure with Postfix's "map lookup problem" warning.
// Models cleanup_act() and cleanup_act_log() in src/cleanup/cleanup_message.c.

import { CleanupStatus } from '../master/contracts.ts';
import { MapError, type LookupTable } from '../global/maps/types.ts';
import { findInTables } from '../global/maps/lookup-order.ts';
import { mapsTitle } from './address-maps.ts';
import { isHeaderText } from './headers.ts';
import { cleanupStatusDetail, type CleanupState } from './state.ts';
import type { CleanupCore } from './core.ts';

/** What happens to the line that matched. */
export type CheckOutcome =
  | { kind: 'keep' }
  | { kind: 'drop' }
  | { kind: 'replace'; text: string };

export type CheckContext = 'header' | 'body';

const KEEP: CheckOutcome = { kind: 'keep' };

/** Prepends "5.7.1 " unless the text starts with a DSN code (dsn_prepend). */
function withDsn(defaultDsn: string, text: string): string {
  return /^[245]\.\d{1,3}\.\d{1,3}(\s|$)/.test(text) ? text : `${defaultDsn} ${text}`;
}

/** cleanup_act_log: one content action as a trace event (and so a maillog line). */
function logAction(core: CleanupCore, state: CleanupState, action: string, context: CheckContext, line: string, text: string): void {
  const detail = {
    kind: 'cleanup.content-action' as const, action, where: context, line: line.slice(0, 200), origin: state.origin,
    sender: state.rewrittenSender ?? state.sender ?? '', text,
  };
  const extra: { recipient?: string; protocol?: string; helo?: string } = {};
  if (state.lastRecipient !== undefined) extra.recipient = state.lastRecipient;
  if (state.protocol !== undefined) extra.protocol = state.protocol;
  if (state.helo !== undefined) extra.helo = state.helo;
  core.trace(state.queueId, { ...detail, ...extra });
}

/** Looks `line` up in `tables` and acts on the answer. `emitHeader` writes a PREPENDed
 *  header before the current one; `emitBody` a PREPENDed body line. */
export async function checkLine(core: CleanupCore, state: CleanupState, options: {
  tables: readonly LookupTable[]; parameter: string; context: CheckContext; line: string;
  emitHeader(text: string): Promise<void>; emitBody(text: string): void;
}): Promise<CheckOutcome> {
  if (!state.contentChecks || options.tables.length === 0) return KEEP;
  let value: string | undefined;
  try {
    value = (await findInTables(options.tables, options.line, false))?.value;
  } catch (error) {
    if (!(error instanceof MapError)) throw error;
    core.log.warn(`${state.queueId}: ${mapsTitle(options.parameter, options.tables)} map lookup problem -- message not accepted, try again later`);
    state.fail(CleanupStatus.write);
    return KEEP;
  }
  if (value === undefined) return KEEP;
  return act(core, state, options, value);
}

/** cleanup_act. */
export async function act(core: CleanupCore, state: CleanupState, options: {
  parameter: string; context: CheckContext; line: string;
  emitHeader(text: string): Promise<void>; emitBody(text: string): void;
}, value: string): Promise<CheckOutcome> {
  const commandEnd = value.search(/[ \t]|$/);
  const command = value.slice(0, commandEnd).toUpperCase();
  const text = value.slice(commandEnd).replace(/^[ \t]+/, '');
  const { context, line, parameter } = options;
  const log = (action: string, logged: string): void => logAction(core, state, action, context, line, logged);
  switch (command) {
    case 'REJECT': {
      let reason = text === '' ? `${cleanupStatusDetail(CleanupStatus.content).dsn} ${cleanupStatusDetail(CleanupStatus.content).text}` : withDsn('5.7.1', text);
      if (!reason.startsWith('4') && !reason.startsWith('5')) {
        core.log.warn(`bad DSN action in ${text} -- need 4.x.x or 5.x.x`);
        reason = `4${reason.slice(1)}`;
      }
      state.fail(reason.startsWith('4') ? CleanupStatus.defer : CleanupStatus.content, reason);
      state.contentChecks = false;
      log('reject', reason);
      return KEEP;
    }
    case 'WARN': log('warning', text); return KEEP;
    case 'INFO': log('info', text); return KEEP;
    case 'FILTER':
      if (text === '') core.log.warn(`missing FILTER command argument in ${parameter} map`);
      else if (!text.includes(':')) core.log.warn(`bad FILTER command ${text} in ${parameter} -- need transport:destination`);
      else {
        state.filter = text;
        log('filter', text);
      }
      return KEEP;
    case 'PASS':
      log('pass', text);
      state.contentChecks = false;
      return KEEP;
    case 'DISCARD':
      log('discard', text);
      state.discard = true;
      state.contentChecks = false;
      return KEEP;
    case 'HOLD':
      if (!state.hold && !state.discard) {
        log('hold', text);
        state.hold = true;
      }
      return KEEP;
    case 'PREPEND':
      return prepend(core, state, options, text, log);
    case 'REPLACE':
      if (text === '') {
        core.log.warn(`REPLACE action without text in ${parameter} map`);
        return KEEP;
      }
      if (context === 'header' && !isHeaderText(text)) {
        core.log.warn(`bad REPLACE header text "${text}" in ${parameter} map -- need "headername: headervalue"`);
        return KEEP;
      }
      log('replace', text);
      return { kind: 'replace', text };
    case 'REDIRECT':
      if (!text.includes('@')) {
        core.log.warn(`bad REDIRECT target "${text}" in ${parameter} map -- need user@domain`);
      } else {
        state.redirect = text;
        log('redirect', text);
        state.contentChecks = false;
      }
      return KEEP;
    case 'BCC':
      if (!text.includes('@')) {
        core.log.warn(`bad BCC address "${text}" in ${parameter} map -- need user@domain`);
      } else {
        state.headerBcc.push(text);
        log('bcc', text);
      }
      return KEEP;
    case 'STRIP':
      log('strip', text);
      return { kind: 'drop' };
    case 'IGNORE': return { kind: 'drop' };
    case 'DUNNO': case 'OK': return KEEP;
    default:
      core.log.warn(`unknown command in ${parameter} map: ${value}`);
      return KEEP;
  }
}

async function prepend(core: CleanupCore, state: CleanupState, options: {
  parameter: string; context: CheckContext; emitHeader(text: string): Promise<void>; emitBody(text: string): void;
}, text: string, log: (action: string, logged: string) => void): Promise<CheckOutcome> {
  if (text === '') {
    core.log.warn(`PREPEND action without text in ${options.parameter} map`);
  } else if (options.context === 'header') {
    if (!isHeaderText(text)) {
      core.log.warn(`bad PREPEND header text "${text}" in ${options.parameter} map -- need "headername: headervalue"`);
    } else {
      log('prepend', text);
      await options.emitHeader(text);
    }
  } else {
    log('prepend', text);
    options.emitBody(text);
  }
  return KEEP;
}
