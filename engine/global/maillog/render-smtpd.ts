// Renders smtpd(8)'s trace events (engine/global/trace-smtpd.ts) as maillog text, in the
// shapes of shared/reference/postfix-3.7/logs and smtp/: "connect from localhost[127.0.0.1]",
// "ID: client=...", "NOQUEUE: reject: RCPT from ...; from=<a> to=<b> proto=ESMTP helo=<h>",
// "lost connection after DATA (63 bytes) from ...", "disconnect from ... commands=5".
// Called by render.ts for the smtpd kinds. Models smtpd.c's msg_info() calls and
// log_whatsup() of smtpd_check.c.

import type { TraceEvent } from '../trace.ts';
import type { SmtpdTraceDetail } from '../trace-smtpd.ts';

type SmtpdEvent = TraceEvent & SmtpdTraceDetail;

const SMTPD_KINDS = new Set<string>([
  'smtpd.connect', 'smtpd.disconnect', 'smtpd.command', 'smtpd.reply', 'smtpd.client',
  'smtpd.whatsup', 'smtpd.session-end', 'smtpd.pipelining',
]);

export function isSmtpdEvent(event: TraceEvent): event is SmtpdEvent {
  return SMTPD_KINDS.has(event.kind);
}

const namaddr = (event: { clientName: string; clientAddress: string }): string =>
  `${event.clientName}[${event.clientAddress}]`;

/** The log text of an smtpd event, or undefined for the kinds without a log line. */
export function renderSmtpdText(event: SmtpdEvent): string | undefined {
  switch (event.kind) {
    case 'smtpd.connect':
      return `connect from ${namaddr(event)}`;
    case 'smtpd.disconnect':
      return `disconnect from ${namaddr(event)}${event.counters}`;
    case 'smtpd.client':
      return `${event.queueId ?? 'NOQUEUE'}: client=${namaddr(event)}`
        + (event.saslMethod === undefined ? '' : `, sasl_method=${event.saslMethod}`)
        + (event.saslUsername === undefined ? '' : `, sasl_username=${event.saslUsername}`)
        + (event.saslSender === undefined ? '' : `, sasl_sender=${event.saslSender}`)
        + (event.origQueueId === undefined ? '' : `, orig_queue_id=${event.origQueueId}`)
        + (event.origClient === undefined ? '' : `, orig_client=${event.origClient}`);
    case 'smtpd.whatsup': {
      let text = `${event.queueId ?? 'NOQUEUE'}: ${event.action}: ${event.where} from ${namaddr(event)}: ${event.text};`;
      if (event.sender !== undefined) text += ` from=<${event.sender}>`;
      if (event.recipient !== undefined) text += ` to=<${event.recipient}>`;
      if (event.protocol !== undefined) text += ` proto=${event.protocol}`;
      if (event.helo !== undefined) text += ` helo=<${event.helo}>`;
      if (event.saslMethod !== undefined) text += ` sasl_method=${event.saslMethod}`;
      if (event.saslUsername !== undefined) text += ` sasl_username=${event.saslUsername}`;
      if (event.saslSender !== undefined) text += ` sasl_sender=${event.saslSender}`;
      return text;
    }
    case 'smtpd.session-end':
      return event.bytes === undefined
        ? `${event.reason} after ${event.where} from ${namaddr(event)}`
        : `${event.reason} after ${event.where} (${event.bytes} bytes) from ${namaddr(event)}`;
    case 'smtpd.pipelining':
      return `improper command pipelining after ${event.where} from ${namaddr(event)}: ${event.pending}`;
    default:
      return undefined;
  }
}
