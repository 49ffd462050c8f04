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

/** How client programs reach the running mail system of a configuration directory. */
export interface MailSystemLink {
  /** The showq service, or undefined when the mail system is down. */
  showq(host: Host, config: MainConfig): Promise<ShowqEndpoint | undefined>;
  /** Writes a trigger to public/SERVICE; false when nothing listens there. */
  trigger(host: Host, config: MainConfig, service: string, reason: TriggerReason): Promise<boolean>;
  /** Whether the mail system runs (the flush service's requests need it). */
  running(host: Host, config: MainConfig): Promise<boolean>;
  /** The flush service (public/flush), or undefined when it does not run (postqueue -s/-i
   *  then fail as with no flush server). */
  flush?(host: Host, config: MainConfig): Promise<FlushEndpoint | undefined>;
}
