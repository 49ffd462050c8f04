// Postmaster notices for the notify_classes that are not about one message's recipients:
// policy, protocol, resource, software (and bounce/2bounce/delay, which the bounce service
// handles itself). A notice goes from the double-bounce address to error_notice_recipient
// (bounce_notice_recipient when the bounce class triggered it) with a transcript of what
// happened, folded at 78 columns. The headers follow Postfix's smtpd notices; the sentences
// are mtalab's own.
// Called by services that detect such errors (smtpd in a later issue; cleanup and local
// for resource/software trouble). Trusts its caller for the transcript lines.
// Models src/smtpd/smtpd_chat.c (smtpd_chat_notify) and src/global/mail_error.c.

import type { CleanupEndpoint } from '../../master/contracts.ts';
import type { MainConfig } from '../config/main-cf.ts';
import { lineWrap } from './line-wrap.ts';

/** The classes of notify_classes (mail_error.c). */
export type ErrorClass = 'bounce' | '2bounce' | 'data' | 'delay' | 'policy' | 'protocol' | 'resource' | 'software';

/** Transcript lines included at most. */
export const ERROR_NOTICE_LINES_MAX = 10_000;

/** The classes that notify_classes turns on. */
export function notifyClassesOf(config: MainConfig): Set<string> {
  return new Set(config.getList('notify_classes').map((name) => name.toLowerCase()));
}

/** Which of `classes` (the errors that happened) the postmaster wants to hear about. */
export function wantedClasses(config: MainConfig, classes: readonly ErrorClass[]): ErrorClass[] {
  const wanted = notifyClassesOf(config);
  return classes.filter((name) => wanted.has(name));
}

export interface ErrorNoticeInput {
  /** The error classes that happened; nothing is sent unless notify_classes has one. */
  classes: readonly ErrorClass[];
  /** "Postfix SMTP server: errors from client.example[192.0.2.1]" style subject. */
  subject: string;
  /** The transcript, one entry per line (folded here). */
  transcript: readonly string[];
  /** Why the session or job ended, if it did. */
  reason?: string;
}

/** Composes the notice text; undefined when notify_classes wants none of the classes. */
export function composeErrorNotice(config: MainConfig, input: ErrorNoticeInput): { recipient: string; text: string } | undefined {
  const wanted = wantedClasses(config, input.classes);
  if (wanted.length === 0) return undefined;
  const errorRecipient = config.get('error_notice_recipient') ?? 'postmaster';
  const recipient = input.classes.includes('bounce') ? (config.get('bounce_notice_recipient') ?? 'postmaster') : errorRecipient;
  const mailDaemon = `MAILER-DAEMON@${config.get('myhostname') ?? ''}`;
  const lines = [
    `From: Mail Delivery System <${mailDaemon}>`,
    `To: Postmaster <${errorRecipient}>`,
    `Subject: ${input.subject}`,
    '',
    `Reported error classes: ${wanted.join(', ')}. What was said follows.`,
    '',
  ];
  for (const line of input.transcript.slice(0, ERROR_NOTICE_LINES_MAX)) {
    lines.push(...lineWrap(line.replace(/[\x00-\x1f\x7f]/g, '?'), 78, 4));
  }
  lines.push('');
  if (input.reason !== undefined) lines.push(`The session ended early: ${input.reason}`);
  lines.push('', 'The mail log of this host has the remaining details.');
  return { recipient, text: `${lines.join('\n')}\n` };
}

/** Sends the notice through cleanup from the double-bounce address. Returns the new
 *  queue id, or undefined when nothing was sent or cleanup refused it. */
export async function sendErrorNotice(cleanup: CleanupEndpoint, config: MainConfig, input: ErrorNoticeInput): Promise<string | undefined> {
  const notice = composeErrorNotice(config, input);
  if (notice === undefined) return undefined;
  const stream = await cleanup.open({ service: 'notify', rewriteContext: 'local' }, { skipContentChecks: true });
  stream.setSender(`${config.get('double_bounce_sender') ?? 'double-bounce'}@${config.get('myhostname') ?? ''}`);
  stream.addRecipient({ address: notice.recipient });
  stream.addContent(new TextEncoder().encode(notice.text));
  const result = await stream.finish();
  return result.status === 0 ? result.queueId : undefined;
}
