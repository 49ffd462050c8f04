// The bounce service's notices: who gets one, which recipients it lists and what part of
// the original it returns. A failure notice goes to the sender (never to the null sender:
// a failed bounce goes to 2bounce_notice_recipient when notify_classes has 2bounce or
// bounce, else it is dropped; a failed postmaster notice is never reported again), with a
// headers-only copy to bounce_notice_recipient when notify_classes has bounce. Delay
// warnings likewise with delay_notice_recipient and the delay class. Success and verify
// reports go to the sender only.
// Called by engine/bounce/api.ts. Trusts the recipient logs and the queue file as read.
// Models src/bounce/bounce_notify_service.c, bounce_warn_service.c, bounce_trace_service.c.

import type { CleanupEndpoint } from '../master/contracts.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { composeNotice, DSN_NOTIFY_OVERRIDE, DsnNotify, DsnReturn, type MimeEncoding } from '../global/dsn/compose.ts';
import { expandTemplate, type NoticeKind } from '../global/dsn/templates.ts';
import { builtInTemplate, templateEncoding, type BounceTemplate } from '../global/dsn/template-file.ts';
import type { RecipientLogEntry } from '../global/dsn/recipient-log.ts';
import { quoteLocalPart } from '../global/address/index.ts';
import { latin1Bytes } from '../global/queue/record-text.ts';
import type { OriginalInfo } from './original.ts';

/** Where a notice goes and as whom; the log phrase names it in the maillog line. */
export interface NoticeAddressing {
  sender: string;
  recipient: string;
  postmasterCopy: boolean;
  /** "sender non-delivery notification", "postmaster delay notification", ... */
  logPhrase: string;
  /** DSN RET for the original: full message or headers only. */
  returnContent: number;
  notifyFilter: number;
}

/** What the caller must do with a notice: send these, or nothing (and why). */
export interface NoticePlan {
  notices: NoticeAddressing[];
  /** The log may be removed even though nothing was sent (a dropped bounce). */
  consumed: boolean;
  /** An info/warning line for the maillog when nothing was sent. */
  info?: string;
  warning?: string;
}

export interface NotifyEnvironment {
  config: MainConfig;
  queueId: string;
}

/** notify_classes as a set of names. */
function notifyClasses(config: MainConfig): Set<string> {
  return new Set(config.getList('notify_classes').map((name) => name.toLowerCase()));
}

/** mail_addr_double_bounce(): double_bounce_sender@myhostname. */
export function doubleBounceAddress(config: MainConfig): string {
  return `${config.get('double_bounce_sender') ?? 'double-bounce'}@${config.get('myhostname') ?? ''}`;
}

/** Plans a non-delivery notice (bounce/ID at the end of delivery, defer/ID at expiry). */
export function planFailureNotice(env: NotifyEnvironment, sender: string, returnContent: number): NoticePlan {
  const config = env.config;
  const classes = notifyClasses(config);
  const doubleBounce = doubleBounceAddress(config);
  if (sender.toLowerCase() === doubleBounce.toLowerCase()) {
    return { notices: [], consumed: true, warning: `${env.queueId}: undeliverable postmaster notification discarded` };
  }
  if (sender === '') {
    if (!classes.has('bounce') && !classes.has('2bounce')) return { notices: [], consumed: true };
    return { consumed: true, notices: [{ sender: doubleBounce, recipient: config.get('2bounce_notice_recipient') ?? 'postmaster',
      postmasterCopy: true, logPhrase: 'postmaster non-delivery notification', returnContent: DsnReturn.full,
      notifyFilter: DSN_NOTIFY_OVERRIDE }] };
  }
  const notices: NoticeAddressing[] = [{ sender: '', recipient: sender, postmasterCopy: false,
    logPhrase: 'sender non-delivery notification', returnContent: returnContent || DsnReturn.full,
    notifyFilter: DsnNotify.failure }];
  if (classes.has('bounce')) {
    notices.push({ sender: doubleBounce, recipient: config.get('bounce_notice_recipient') ?? 'postmaster', postmasterCopy: true,
      logPhrase: 'postmaster non-delivery notification', returnContent: DsnReturn.headers, notifyFilter: DSN_NOTIFY_OVERRIDE });
  }
  return { notices, consumed: true };
}

/** Plans a delay warning from defer/ID (the log stays: the message is still queued). */
export function planDelayNotice(env: NotifyEnvironment, sender: string): NoticePlan {
  const config = env.config;
  const classes = notifyClasses(config);
  const doubleBounce = doubleBounceAddress(config);
  const postmaster: NoticeAddressing = { sender: doubleBounce, recipient: config.get('delay_notice_recipient') ?? 'postmaster',
    postmasterCopy: true, logPhrase: 'postmaster delay notification', returnContent: DsnReturn.headers,
    notifyFilter: DSN_NOTIFY_OVERRIDE };
  if (sender.toLowerCase() === doubleBounce.toLowerCase()) {
    return { notices: [], consumed: false, warning: `${env.queueId}: undeliverable postmaster notification discarded` };
  }
  if (sender === '') {
    return { notices: classes.has('delay') ? [{ ...postmaster, returnContent: DsnReturn.full }] : [], consumed: false };
  }
  const notices: NoticeAddressing[] = [{ sender: '', recipient: sender, postmasterCopy: false,
    logPhrase: 'sender delay notification', returnContent: DsnReturn.headers, notifyFilter: DsnNotify.delay }];
  if (classes.has('delay')) notices.push(postmaster);
  return { notices, consumed: false };
}

/** Plans a success or verify report from trace/ID. */
export function planTraceNotice(env: NotifyEnvironment, sender: string): NoticePlan {
  const config = env.config;
  const doubleBounce = doubleBounceAddress(config);
  if (sender.toLowerCase() === doubleBounce.toLowerCase()) {
    return { notices: [], consumed: false, info: `${env.queueId}: not sending trace/success notification for double-bounce message` };
  }
  let recipient = sender;
  let from = '';
  if (sender === '') {
    if (!notifyClasses(config).has('2bounce')) {
      return { notices: [], consumed: true, info: `${env.queueId}: not sending trace/success notification for single-bounce message` };
    }
    recipient = config.get('2bounce_notice_recipient') ?? 'postmaster';
    from = doubleBounce;
  }
  return { consumed: true, notices: [{ sender: from, recipient, postmasterCopy: false,
    logPhrase: 'sender delivery status notification', returnContent: DsnReturn.headers, notifyFilter: DSN_NOTIFY_OVERRIDE }] };
}

export interface BuildOptions {
  config: MainConfig;
  kind: NoticeKind;
  queueId: string;
  nowSeconds: number;
  entries: readonly RecipientLogEntry[];
  original: OriginalInfo;
  addressing: NoticeAddressing;
  /** The template of this kind (bounce_template_file's or the built-in one). */
  template?: BounceTemplate;
}

/** The notice's bytes and recipient count, plus the template's conversion warnings. */
export function buildNotice(options: BuildOptions): { bytes: Uint8Array; recipientCount: number; warnings: string[] } {
  const { config, original, addressing } = options;
  const template = options.template ?? builtInTemplate(options.kind);
  const expanded = addressing.postmasterCopy
    ? { lines: [], warnings: [] }
    : expandTemplate(template, {
      get: (name) => config.get(name),
      getTimeSeconds: (name) => (config.isSet(name) || config.get(name) !== undefined ? config.getTimeSeconds(name) : undefined),
    });
  const myhostname = config.get('myhostname') ?? '';
  const senderShown = quoteLocalPart(original.sender === '' ? `MAILER-DAEMON@${myhostname}` : original.sender);
  // bounce_mail_alloc(): smtputf8_enable forces 8bit; otherwise the original's encoding.
  const mimeEncoding: MimeEncoding = config.getBool('smtputf8_enable') || original.encoding === '8bit' ? '8bit'
    : original.encoding === '7bit' ? '7bit' : 'none';
  const composed = composeNotice({
    template,
    text: expanded.lines,
    to: quoteLocalPart(addressing.recipient),
    postmasterCopy: addressing.postmasterCopy,
    myhostname,
    mailName: config.get('mail_name') ?? 'Postfix',
    queueId: options.queueId,
    nowSeconds: options.nowSeconds,
    arrivalSeconds: original.arrivalSeconds,
    ...(original.envelopeId !== undefined ? { envelopeId: original.envelopeId } : {}),
    entries: options.entries,
    notifyFilter: addressing.notifyFilter,
    returnContent: addressing.returnContent,
    bounceSizeLimit: config.getInt('bounce_size_limit'),
    original: { sender: senderShown, size: original.contentSize, ...(original.lines !== undefined ? { lines: original.lines } : {}) },
    ...(options.kind === 'delay' ? { willRetryUntilSeconds: original.arrivalSeconds + config.getTimeSeconds('maximal_queue_lifetime') } : {}),
    mimeEncoding,
    charset: template.charset,
    templateEncoding: templateEncoding(template),
  });
  return { bytes: latin1Bytes(composed.text), recipientCount: composed.recipientCount, warnings: expanded.warnings };
}

/** Submits a notice through cleanup as Postfix's post_mail_fopen() does: the bounce
 *  client, local rewriting, no content checks. Returns the queue id, or the failure. */
export async function submitNotice(cleanup: CleanupEndpoint, sender: string, recipient: string, bytes: Uint8Array):
  Promise<{ queueId: string; ok: true } | { queueId: string; ok: false; reason: string }> {
  const stream = await cleanup.open({ service: 'bounce', rewriteContext: 'local' }, { skipContentChecks: true });
  stream.setSender(sender);
  stream.addRecipient({ address: recipient });
  stream.addContent(bytes);
  const result = await stream.finish();
  if (result.status !== 0) return { queueId: stream.queueId, ok: false, reason: result.reason ?? `status ${result.status}` };
  return { queueId: result.queueId || stream.queueId, ok: true };
}
