// One evaluation of smtpd's restrictions: the names the restrictions see (client, HELO name,
// sender, recipient, where), the verdict being built, warn_if_reject and the deferred
// defer_if_permit / defer_if_reject replies, and the environment (settings, tables, the
// address resolver, DNS, the log). reject() is smtpd_check_reject(): it formats the reply
// ("554 5.7.1 <a>: Relay access denied"), applies warn_if_reject, defer_if_reject and
// soft_bounce, logs the NOQUEUE/ID line and returns the verdict. A table that fails or a
// configuration error aborts the whole evaluation with CheckAbort (Postfix's longjmp).
// Created by stages.ts for each smtpd_check_*() call; used by every restriction.
// Models smtpd_check_reject(), defer_if(), reject_dict_retry() in src/smtpd/smtpd_check.c.

import type { Clock, Network, Resolver, Timers } from '../../platform/types.ts';
import type { SmtpdSecurity } from '../security.ts';
import type { Reporter } from '../../global/msg.ts';
import type { RewriteEndpoint } from '../../master/contracts.ts';
import type { SmtpdSettings } from '../settings.ts';
import type { Session } from '../session.ts';
import type { SmtpdTables } from './tables.ts';
import type { SmtpdResolver } from './resolve.ts';

/** SMTPD_CHECK_OK (permit), DUNNO (next restriction), REJECT (stop with errorText). */
export type CheckStatus = 'ok' | 'dunno' | 'reject';

/** A deferred reply (defer_if_permit, defer_if_reject). */
export interface DeferredReply {
  code: number;
  dsn: string;
  text: string;
}

export interface CheckEnvironment {
  settings: SmtpdSettings;
  tables: SmtpdTables;
  resolver: SmtpdResolver;
  rewrite: RewriteEndpoint;
  dns: Resolver;
  log: Reporter;
  /** SASL state, sender login maps (security.ts); absent in tests that do not need them. */
  security?: SmtpdSecurity;
  /** For check_policy_service (policy.ts). */
  net?: Network;
  timers?: Timers;
  clock?: Clock;
  /** fsspace() of the queue directory, for smtpd_check_queue (stages.ts queue()); absent
   *  or undefined: a file system that cannot tell, and the check is skipped. */
  queueSpace?: () => Promise<{ blockSize: number; blocksFree: number } | undefined>;
  /** queue_minfree in bytes. */
  queueMinfreeBytes?: number;
  /** log_whatsup(): emits the "ID: ACTION: WHERE from ...; from=<> to=<> proto= helo=<>" line. */
  whatsup(session: Session, names: CheckNames, action: string, text: string): void;
}

/** The names the restrictions act on; a stage pushes its own (smtpd_check_helo's
 *  helo_name, smtpd_check_mail's sender) over the session's. */
export interface CheckNames {
  helo: string | undefined;
  sender: string | undefined;
  recipient: string | undefined;
  etrnDomain?: string;
}

/** Ends an evaluation early (reject_dict_retry, reject_server_error). */
export class CheckAbort extends Error {
  constructor(readonly status: CheckStatus) {
    super('restriction evaluation aborted');
    this.name = 'CheckAbort';
  }
}

/** How deep restriction classes and access-table restriction lists may nest. */
export const RESTRICTION_RECURSION_MAX = 100;

export class CheckRun {
  /** error_text: the reply of the last reject. */
  errorText = '';
  recursion = 0;
  /** The recursion level at which warn_if_reject was seen; 0 when off. */
  warnIfReject = 0;
  deferIfReject: DeferredReply | undefined;
  deferIfPermit: DeferredReply | undefined;
  recipientMapsChecked = false;
  senderMapsChecked = false;
  /** A DISCARD action was found: the remaining restrictions are skipped. */
  discard = false;

  constructor(readonly env: CheckEnvironment, readonly session: Session, readonly names: CheckNames) {}

  get settings(): SmtpdSettings { return this.env.settings; }

  /** smtpd_check_reject(). */
  reject(code: number, dsn: string, text: string): CheckStatus {
    const warning = this.warnIfReject > 0;
    let reply = `${code} ${dsn} ${text}`;
    if (code < 400 || code > 599) {
      this.env.log.warn(`SMTP reply code configuration error: ${reply}`);
      reply = '450 4.7.1 Service unavailable';
    } else if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(dsn)) {
      this.env.log.warn(`DSN detail code configuration error: ${reply}`);
      reply = '450 4.7.1 Service unavailable';
    }
    reply = printable(reply.slice(0, 510));
    if (!warning && this.deferIfReject !== undefined && reply.startsWith('5')) {
      const deferred = this.deferIfReject;
      this.deferIfReject = undefined;
      this.warnIfReject = 0;
      return this.reject(deferred.code, deferred.dsn, deferred.text);
    }
    if (this.settings.softBounce && reply.startsWith('5')) reply = `4${reply.slice(1)}`;
    // The DSN class follows the reply code: 454 with "5.7.1" becomes "4.7.1".
    reply = `${reply.slice(0, 4)}${reply[0]}${reply.slice(5)}`;
    this.errorText = reply;
    this.env.whatsup(this.session, this.names, warning ? 'reject_warning' : 'reject', reply);
    return warning ? 'dunno' : 'reject';
  }

  /** defer_if(): remembers the first deferred reply; the restriction itself says DUNNO. */
  deferIf(which: 'permit' | 'reject', code: number, dsn: string, text: string): CheckStatus {
    const reply = { code, dsn, text };
    if (which === 'permit') this.deferIfPermit ??= reply;
    else this.deferIfReject ??= reply;
    return 'dunno';
  }

  /** reject_dict_retry(): a table failed; "451 4.3.0 <name>: Temporary lookup failure". */
  dictRetry(name: string): never {
    throw new CheckAbort(this.reject(451, '4.3.0', `<${name}>: Temporary lookup failure`));
  }

  /** reject_server_error(): "451 4.3.5 Server configuration error". */
  serverError(): never {
    throw new CheckAbort(this.reject(451, '4.3.5', 'Server configuration error'));
  }
}

/** printable(): control characters become spaces in replies and logs. */
export function printable(text: string): string {
  let result = '';
  for (const character of text) {
    const code = character.charCodeAt(0);
    result += code < 0x20 || code === 0x7f ? ' ' : character;
  }
  return result;
}
