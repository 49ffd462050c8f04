// The headers cleanup adds at the end of the primary headers when they are missing and the
// message is rewritten (local context, a remote context with remote_header_rewrite_domain,
// or always_add_missing_headers = yes): (Resent-)Message-Id "<YYYYMMDDhhmmss.ID@myhostname>"
// (long queue ids: "<ID@myhostname>"), (Resent-)Date from the arrival time, (Resent-)From
// from the envelope sender and full name (MAILER-DAEMON for the null sender), and the
// undisclosed_recipients_header when no To/Cc/Resent-To/Resent-Cc exists. A message
// without any Message-Id is logged as "message-id=<>".
// Called by message.ts. Trusts the state's envelope (already rewritten).
// Models cleanup_header_done_callback in src/cleanup/cleanup_message.c.

import { quoteLocalPart } from '../global/address/quote.ts';
import { scanTokens } from '../global/address/tokens.ts';
import { externalize } from '../global/address/render.ts';
import type { CleanupCore } from './core.ts';
import { isHeaderText, mailDate, messageIdStamp } from './headers.ts';
import type { CleanupState } from './state.ts';

const MAILER_DAEMON = 'MAILER-DAEMON';
/** RFC 822 specials plus Postfix's "%!" legacy operators: a full name with one is quoted. */
const PHRASE_SPECIALS = /[%!()<>@,;:\\".[\]]/;

/** The From: header value for the envelope sender and full name. */
export function fromHeaderValue(sender: string, fullName: string | undefined, format: 'standard' | 'obsolete'): string {
  const address = quoteLocalPart(sender === '' ? MAILER_DAEMON : sender, { eightBitClean: true });
  const name = fullName?.replace(/[\r\n]/g, ' ');
  if (sender === '' || name === undefined || name === '') return address;
  if (format === 'obsolete') {
    return `${address} ${externalize(scanTokens(`(${name})`))}`;
  }
  const phrase = PHRASE_SPECIALS.test(name)
    ? `"${name.replace(/["\\\r\n]/g, (character) => `\\${character}`)}"`
    : externalize(scanTokens(name));
  return phrase === '' ? `<${address}>` : `${phrase} <${address}>`;
}

/** Returns the header texts to append, in Postfix's order. */
export async function addMissingHeaders(core: CleanupCore, state: CleanupState): Promise<string[]> {
  const { settings } = core;
  const added: string[] = [];
  const seen = (name: string): boolean => state.headersSeen.has(name.toLowerCase());
  const add = (name: string, value: string): void => {
    added.push(`${name}: ${value}`);
    state.headersSeen.add(name.toLowerCase());
    core.trace(state.queueId, { kind: 'cleanup.header-added', name, value });
  };
  const rewriting = state.headerRewriteContext !== undefined || settings.alwaysAddMissingHeaders;
  const resent = state.resent;

  if (rewriting && !seen(`${resent}Message-Id`)) {
    const identifier = settings.longQueueIds
      ? `${state.queueId}@${settings.myhostname}`
      : `${messageIdStamp(state.createdAt.seconds)}.${state.queueId}@${settings.myhostname}`;
    add(`${resent}Message-Id`, `<${identifier}>`);
    core.trace(state.queueId, { kind: 'cleanup.message-id', header: resent ? 'resent-message-id' : 'message-id', messageId: `<${identifier}>` });
  }
  if (!seen('Message-Id')) core.trace(state.queueId, { kind: 'cleanup.message-id', header: 'message-id', messageId: '<>' });

  if (rewriting && !seen(`${resent}Date`)) add(`${resent}Date`, mailDate(state.arrivalTime.seconds));
  if (rewriting && !seen(`${resent}From`)) {
    add(`${resent}From`, fromHeaderValue(state.rewrittenSender ?? '', state.fullName, settings.headerFromFormat));
  }
  const visible = ['To', 'Resent-To', 'Cc', 'Resent-Cc'].some((name) => seen(name));
  const undisclosed = settings.undisclosedRecipientsHeader;
  if (rewriting && !visible && undisclosed !== '') {
    if (!isHeaderText(undisclosed)) {
      core.log.warn(`bad undisclosed_recipients_header header text "${undisclosed}" -- need "headername: headervalue"`);
    } else {
      added.push(undisclosed);
      const colon = undisclosed.indexOf(':');
      core.trace(state.queueId, { kind: 'cleanup.header-added', name: undisclosed.slice(0, colon), value: undisclosed.slice(colon + 1).trim() });
    }
  }
  return added;
}
