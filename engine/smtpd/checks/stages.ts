// The restriction stages as the protocol core calls them: client (at CONNECT, or later with
// smtpd_delay_reject), HELO, MAIL, RCPT (which with smtpd_delay_reject = yes re-runs the
// client, HELO and sender stages first, then the relay and recipient restrictions in
// smtpd_relay_before_recipient_restrictions order, then smtpd_reject_unlisted_recipient),
// DATA, END-OF-DATA, ETRN, and the SIZE check. Each returns the reject reply text ("550 5.1.1
// <a>: Recipient address rejected: ...") or undefined to go on. defer_if_permit results are
// carried between stages on the Session.
// Called by the protocol core (commands-*.ts, data.ts). Models smtpd_check_client(),
// smtpd_check_helo(), smtpd_check_mail(), smtpd_check_rcpt(), smtpd_check_etrn(),
// smtpd_check_data(), smtpd_check_eod(), smtpd_check_size() and smtpd_check_queue() in
// src/smtpd/smtpd_check.c.

import type { Session } from '../session.ts';
import { rejectUnlistedRecipient, rejectUnlistedSender, RECIPIENT_CLASS, SENDER_CLASS } from './address.ts';
import { CLIENT_CLASS, DATA_CLASS, EOD_CLASS, ETRN_CLASS, evaluateList, HELO_CLASS } from './generic.ts';
import { CheckAbort, CheckRun, type CheckEnvironment, type CheckNames, type CheckStatus } from './run.ts';

/** Runs one stage, turning CheckAbort into its status. */
async function guarded(work: () => Promise<CheckStatus>): Promise<CheckStatus> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CheckAbort) return error.status;
    throw error;
  }
}

/** Applies a pending defer_if_permit when nothing rejected. */
function settle(run: CheckRun, status: CheckStatus): CheckStatus {
  if (status !== 'reject' && run.deferIfPermit !== undefined) {
    const deferred = run.deferIfPermit;
    return run.reject(deferred.code, deferred.dsn, deferred.text);
  }
  return status;
}

export class Restrictions {
  constructor(readonly env: CheckEnvironment) {}

  private names(session: Session, overrides: Partial<CheckNames> = {}): CheckNames {
    return {
      helo: session.heloName,
      sender: session.transaction?.sender,
      recipient: session.transaction?.firstRecipient,
      ...overrides,
    };
  }

  async client(session: Session): Promise<string | undefined> {
    const run = new CheckRun(this.env, session, this.names(session));
    const list = this.env.settings.restrictions.client;
    run.deferIfPermit = undefined;
    const status = list.length === 0 ? 'dunno'
      : await guarded(() => evaluateList(run, list, session.namaddr, CLIENT_CLASS, 'check_client_access'));
    session.deferIfPermit.client = run.deferIfPermit;
    return status === 'reject' ? run.errorText : undefined;
  }

  async helo(session: Session, helo: string | undefined): Promise<string | undefined> {
    if (helo === undefined) return undefined;
    const run = new CheckRun(this.env, session, this.names(session, { helo }));
    run.deferIfPermit = session.deferIfPermit.client;
    const list = this.env.settings.restrictions.helo;
    const status = list.length === 0 ? 'dunno'
      : await guarded(() => evaluateList(run, list, helo, HELO_CLASS, 'check_helo_access'));
    session.deferIfPermit.helo = run.deferIfPermit;
    return status === 'reject' ? run.errorText : undefined;
  }

  async mail(session: Session, sender: string | undefined): Promise<string | undefined> {
    if (sender === undefined) return undefined;
    const run = new CheckRun(this.env, session, this.names(session, { sender }));
    run.deferIfPermit = session.deferIfPermit.client ?? session.deferIfPermit.helo;
    const list = this.env.settings.restrictions.sender;
    let status = list.length === 0 ? 'dunno'
      : await guarded(() => evaluateList(run, list, sender, SENDER_CLASS, 'check_sender_access'));
    session.deferIfPermit.sender = run.deferIfPermit;
    if (this.env.settings.rejectUnlistedSender && status !== 'reject' && !run.senderMapsChecked && !run.discard && sender !== '') {
      status = await guarded(() => rejectUnlistedSender(run, sender));
    }
    return status === 'reject' ? run.errorText : undefined;
  }

  async recipient(session: Session, recipient: string): Promise<string | undefined> {
    if (recipient.toLowerCase() === 'postmaster') return undefined;
    const settings = this.env.settings;
    if (settings.delayReject) {
      const early = await this.client(session) ?? await this.helo(session, session.heloName)
        ?? await this.mail(session, session.transaction?.sender);
      if (early !== undefined) return early;
    }
    const run = new CheckRun(this.env, session, this.names(session, { recipient }));
    run.deferIfPermit = session.deferIfPermit.sender;
    const relayFirst = settings.relayBeforeRecipientRestrictions;
    const lists = relayFirst ? [settings.restrictions.relay, settings.restrictions.recipient]
      : [settings.restrictions.recipient, settings.restrictions.relay];
    let status: CheckStatus = 'dunno';
    for (const list of lists) {
      status = list.length === 0 ? 'dunno'
        : await guarded(() => evaluateList(run, list, recipient, RECIPIENT_CLASS, 'check_recipient_access'));
      if (status === 'reject') break;
    }
    status = settle(run, status);
    if (settings.rejectUnlistedRecipient && status !== 'reject' && !run.recipientMapsChecked && !run.discard) {
      status = await guarded(() => rejectUnlistedRecipient(run, recipient));
    }
    return status === 'reject' ? run.errorText : undefined;
  }

  async etrn(session: Session, domain: string): Promise<string | undefined> {
    if (this.env.settings.delayReject) {
      const early = await this.client(session) ?? await this.helo(session, session.heloName);
      if (early !== undefined) return early;
    }
    const run = new CheckRun(this.env, session, this.names(session, { etrnDomain: domain }));
    run.deferIfPermit = session.deferIfPermit.client ?? session.deferIfPermit.helo;
    const list = this.env.settings.restrictions.etrn;
    const status = list.length === 0 ? 'dunno'
      : await guarded(() => evaluateList(run, list, domain, ETRN_CLASS, 'check_etrn_access'));
    return settle(run, status) === 'reject' ? run.errorText : undefined;
  }

  private async message(session: Session, list: readonly string[], replyName: string, replyClass: string): Promise<string | undefined> {
    const multiple = (session.transaction?.recipientCount ?? 0) > 1;
    const run = new CheckRun(this.env, session, this.names(session, multiple ? { recipient: undefined } : {}));
    const status = list.length === 0 ? 'dunno' : await guarded(() => evaluateList(run, list, replyName, replyClass, undefined));
    return settle(run, status) === 'reject' ? run.errorText : undefined;
  }

  data(session: Session): Promise<string | undefined> {
    return this.message(session, this.env.settings.restrictions.data, 'DATA', DATA_CLASS);
  }

  endOfData(session: Session): Promise<string | undefined> {
    return this.message(session, this.env.settings.restrictions.endOfData, 'END-OF-MESSAGE', EOD_CLASS);
  }

  /** smtpd_check_rewrite(): 'local' when local_header_rewrite_clients lists the client
   *  (then cleanup adds missing headers and rewrites them as for local mail). */
  async rewriteContext(session: Session): Promise<'local' | 'remote'> {
    const tables = this.env.tables;
    const client = session.client;
    const list = tables.localRewriteClients;
    for (let index = 0; index < list.length; index++) {
      const name = (list[index] as string).toLowerCase();
      let permitted = false;
      try {
        if (name === 'permit_inet_interfaces') permitted = tables.interfaceAddresses.includes(client.address);
        else if (name === 'permit_mynetworks') permitted = await tables.mynetworks.match(client.name, client.address);
        else if (name.includes(':') || name === 'check_address_map') {
          const spec = name.includes(':') ? list[index] as string : list[++index] ?? '';
          permitted = await tables.access.get(spec)?.lookup(client.address) !== undefined;
        } else if (name !== 'permit_sasl_authenticated' && name !== 'permit_tls_clientcerts' && name !== 'permit_tls_all_clientcerts') {
          this.env.log.warn(`parameter local_header_rewrite_clients: invalid request: ${list[index]}`);
        }
      } catch {
        permitted = false;
      }
      if (permitted) return 'local';
    }
    return 'remote';
  }

  /** smtpd_check_size(): a declared SIZE above message_size_limit. */
  size(session: Session, sender: string, size: number): string | undefined {
    const limit = this.env.settings.messageSizeLimit;
    if (limit <= 0 || size <= limit) return undefined;
    const run = new CheckRun(this.env, session, this.names(session, { sender }));
    run.reject(552, '5.3.4', 'Message size exceeds fixed limit');
    return run.errorText;
  }

  /** smtpd_check_queue(): at MAIL, fewer free blocks in the queue file system than
   *  queue_minfree, or not 1.5 times message_size_limit, is "452 4.3.1 Insufficient system
   *  storage" (logged without from=, as the sender is not yet the session's), then the
   *  warning with the free bytes. */
  async queue(session: Session): Promise<string | undefined> {
    const space = await this.env.queueSpace?.();
    if (space === undefined || space.blockSize <= 0) return undefined;
    const blocks = (bytes: number): number => Math.floor(bytes / space.blockSize);
    const minfree = this.env.queueMinfreeBytes ?? 0;
    const limit = this.env.settings.messageSizeLimit;
    if (blocks(minfree) < space.blocksFree && blocks(limit) < space.blocksFree / QUEUE_SPACE_MULTIPLIER) return undefined;
    const run = new CheckRun(this.env, session, this.names(session));
    run.reject(452, '4.3.1', 'Insufficient system storage');
    this.env.log.warn(`not enough free space in mail queue: ${space.blocksFree * space.blockSize} bytes < ${QUEUE_SPACE_MULTIPLIER}*message size limit`);
    return run.errorText;
  }
}

/** smtpd_space_multf: the queue must hold this many messages of the largest size. */
const QUEUE_SPACE_MULTIPLIER = 1.5;

export { RECIPIENT_CLASS, SENDER_CLASS };
