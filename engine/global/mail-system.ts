// How a command reaches the running mail system of a configuration directory: the seam
// between the client programs (sendmail's postdrop, postqueue, mailq, sendmail -bp) and
// master's services. Postfix's clients write a trigger to public/pickup or public/qmgr
// (mail_trigger) and connect to public/showq; mtalab's do the same through a
// MailSystemLink. In the simulation the link is the per-host registry of in-process
// masters (engine/admin/postqueue.ts simMailSystemLink, the default); in real mode the host
// runs in another process, so engine/cli gives its Host a link over UNIX-domain sockets
// (engine/cli/mail-system-link.ts) and the commands find it as host.mailSystem.
// Types only: no platform code here. Models src/global/mail_trigger.c and mail_connect.c.

import type { Host } from './host.ts';
import type { MainConfig } from './config/main-cf.ts';
import type { TriggerReason } from '../master/contracts.ts';
import type { ShowqEndpoint } from '../showq/api.ts';
import type { FlushEndpoint } from '../flush/api.ts';
import type { PlatformErrorCode } from '../platform/types.ts';

/** A service the client could not reach, with the errno of its connect (mail_connect's
 *  %m): ENOENT where no socket file exists (the mail system never ran there), ECONNREFUSED
 *  where a stopped master left its socket behind, as Postfix's master does. */
export interface ServiceDown {
  down: PlatformErrorCode;
}

/** A trigger that could not be written. `lookupError` when the endpoint itself is missing:
 *  mail_trigger() then warns "unable to look up public/NAME: %m"; a socket that refuses
 *  the connection fails silently, as unix_trigger() does. */
export interface TriggerFailure {
  lookupError?: PlatformErrorCode;
}

/** How client programs reach the running mail system of a configuration directory. */
export interface MailSystemLink {
  /** The showq service, or why it cannot be reached when the mail system is down. */
  showq(host: Host, config: MainConfig): Promise<ShowqEndpoint | ServiceDown>;
  /** Writes a trigger to public/SERVICE; true when it was written. */
  trigger(host: Host, config: MainConfig, service: string, reason: TriggerReason): Promise<true | TriggerFailure>;
  /** Whether the mail system runs (the flush service's requests need it). */
  running(host: Host, config: MainConfig): Promise<boolean>;
  /** The flush service (public/flush), or undefined when it does not run (postqueue -s/-i
   *  then fail as with no flush server). */
  flush?(host: Host, config: MainConfig): Promise<FlushEndpoint | undefined>;
}
