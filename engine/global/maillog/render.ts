// Renders one trace event as the text of a maillog line, in Postfix 3.7's shapes:
// "postfix/qmgr[7979]: A0107168038: from=<bob@example.com>, size=318, nrcpt=1 (queue active)".
// The "Mon DD HH:MM:SS host " prefix is the writer's (writer.ts). Kinds without a log line
// (queue moves, resolutions, header additions...) render to undefined.
// Called by the maillog writer, tests and the UI's log view. Trusts the event's fields;
// models the msg_info() calls of pickup.c, cleanup_*.c, qmgr_*.c, log_adhoc.c, bounce_*.c,
// postsuper.c and master.c (the shapes are in shared/reference/postfix-3.7/logs).

import type { TraceEvent } from '../trace.ts';
import { isSmtpdEvent, renderSmtpdText } from './render-smtpd.ts';
import { formatDelay, DELAY_RESOLUTION_DIGITS_DEFAULT, LOG_TEXT_LENGTH_MAX } from './format.ts';

/** Postfix's mail_version, shown by master's lifecycle lines. */
export const MAIL_VERSION = '3.7.11';

export interface RenderOptions {
  /** delay_logging_resolution_limit. */
  delayResolutionDigits?: number;
}

/** "syslog_name/program[pid]: text", or undefined for kinds that do not log. */
export function renderLogLine(event: TraceEvent, syslogName: string, options: RenderOptions = {}): string | undefined {
  const text = renderLogText(event, options);
  if (text === undefined) return undefined;
  return `${logTag(syslogName, event.service)}[${event.pid}]: ${limitLogText(text)}`;
}

/** msg_logger's cut of one record's text at LOG_TEXT_LENGTH_MAX (a shorter text is kept
 *  as it is, without a copy). */
export function limitLogText(text: string): string {
  return text.length > LOG_TEXT_LENGTH_MAX ? text.slice(0, LOG_TEXT_LENGTH_MAX) : text;
}

/** The program tag: "postfix/smtpd"; an empty syslog_name leaves the program alone. */
export function logTag(syslogName: string, program: string): string {
  return syslogName === '' ? program : `${syslogName}/${program}`;
}

/** "ID: " when the event carries a queue id. */
function idPrefix(event: TraceEvent): string {
  return event.queueId === undefined || event.queueId === '' ? '' : `${event.queueId}: `;
}

/** The text after the tag, or undefined when the kind has no log line. */
export function renderLogText(event: TraceEvent, options: RenderOptions = {}): string | undefined {
  // The "ID: " prefix is made only for the kinds that have a line (most events have none).
  switch (event.kind) {
    case 'pickup.accepted':
      return `${idPrefix(event)}uid=${event.uid} from=<${event.sender}>`
        + (event.originalQueueId === undefined ? '' : ` orig_id=${event.originalQueueId}`);
    case 'cleanup.message-id':
      return `${idPrefix(event)}${event.header}=${event.messageId}`;
    case 'cleanup.content-action':
      return `${idPrefix(event)}${renderContentAction(event)}`;
    case 'qmgr.active':
      return `${idPrefix(event)}from=<${event.sender}>, size=${event.size}, nrcpt=${event.recipients} (queue active)`;
    case 'qmgr.removed':
      return `${idPrefix(event)}removed`;
    case 'qmgr.expired':
      return `${idPrefix(event)}from=<${event.sender}>, status=${event.forced === true ? 'force-expired' : 'expired'}, returned to sender`;
    case 'delivery.status':
      return `${idPrefix(event)}${renderDeliveryStatus(event, options)}`;
    case 'bounce.notification':
      return `${idPrefix(event)}${event.notice}: ${event.newQueueId}`;
    case 'postsuper.action':
      return `${idPrefix(event)}${event.action}`;
    case 'master.lifecycle':
      return renderLifecycle(event);
    case 'log.text':
      return event.text;
    case 'diagnostic':
      return event.severity === 'info' ? event.text : `${event.severity}: ${event.text}`;
    default:
      return isSmtpdEvent(event) ? renderSmtpdText(event) : undefined;
  }
}

type EventOf<K extends TraceEvent['kind']> = Extract<TraceEvent, { kind: K }>;

/** cleanup_act_log(): "reject: header Subject: x from local; from=<a> to=<b>: 5.7.1 text". */
function renderContentAction(event: EventOf<'cleanup.content-action'>): string {
  let text = `${event.action}: ${event.where} ${event.line.slice(0, 200)} from ${event.origin};`;
  text += ` from=<${event.sender}>`;
  if (event.recipient !== undefined) text += ` to=<${event.recipient}>`;
  if (event.protocol !== undefined) text += ` proto=${event.protocol}`;
  if (event.helo !== undefined) text += ` helo=<${event.helo}>`;
  if (event.text !== '') text += `: ${event.text}`;
  return text;
}

/** log_adhoc(): to, orig_to (only when it differs, ignoring case), relay, extra fields
 *  (conn_use=N), delay, delays, dsn, status (text). */
function renderDeliveryStatus(event: EventOf<'delivery.status'>, options: RenderOptions): string {
  const digits = options.delayResolutionDigits ?? DELAY_RESOLUTION_DIGITS_DEFAULT;
  let text = `to=<${event.recipient}>`;
  const original = event.originalRecipient;
  if (original !== undefined && original !== '' && original !== event.recipient
    && original.toLowerCase() !== event.recipient.toLowerCase()) {
    text += `, orig_to=<${original}>`;
  }
  text += `, relay=${event.relay}`;
  if (event.extra !== undefined && event.extra !== '') text += event.extra;
  const { beforeActiveSeconds, inActiveSeconds, connectionSetupSeconds, transmissionSeconds } = event.delays;
  text += `, delay=${formatDelay(event.delaySeconds, undefined, digits)}`;
  text += `, delays=${formatDelay(beforeActiveSeconds, undefined, digits)}/${formatDelay(inActiveSeconds, undefined, digits)}`
    + `/${formatDelay(connectionSetupSeconds, undefined, digits)}/${formatDelay(transmissionSeconds, undefined, digits)}`;
  text += `, dsn=${event.dsn}, status=${event.status} (${event.text})`;
  return text;
}

/** master.c: start, reload and termination. */
function renderLifecycle(event: EventOf<'master.lifecycle'>): string {
  switch (event.event) {
    case 'started': return `daemon started -- version ${MAIL_VERSION}, configuration ${event.configDirectory}`;
    case 'reload': return `reload -- version ${MAIL_VERSION}, configuration ${event.configDirectory}`;
    case 'terminating': return `terminating on signal ${event.signal ?? 15}`;
  }
}
