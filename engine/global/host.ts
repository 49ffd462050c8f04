// A host: the unit that one set of Postfix configuration and one file system belong to.
// In the simulation a World holds many; in real mode the CLI makes one for the machine.
// Admin commands, services and the shell receive the Host they run on and reach the
// platform, the configuration directory and process ids through it. A real-mode Host also
// carries the link to its mail system, which runs in another process (mail-system.ts).

import type { Platform } from '../platform/types.ts';
import type { MailSystemLink } from './mail-system.ts';

export interface Host {
  /** The machine's host name, as hostname(1) prints it. */
  readonly name: string;
  readonly platform: Platform;
  /** Where main.cf and master.cf live unless -c or MAIL_CONFIG says otherwise. */
  readonly defaultConfigDirectory: string;
  /** A fresh process id for a program run, for log tags such as "postconf[1234]". */
  nextPid(): number;
  /** How commands reach the running mail system when it is not an in-process master of
   *  this Host (real mode: sockets under queue_directory). Absent in the simulation. */
  readonly mailSystem?: MailSystemLink;
}

export interface HostOptions {
  name: string;
  platform: Platform;
  defaultConfigDirectory?: string;
  /** First pid handed out; sim hosts start low and count up deterministically. */
  firstPid?: number;
  /** Real mode passes process.pid so that log tags show the real process. */
  fixedPid?: number;
  mailSystem?: MailSystemLink;
}

export function createHost(options: HostOptions): Host {
  let pid = options.firstPid ?? 1000;
  return {
    name: options.name,
    platform: options.platform,
    defaultConfigDirectory: options.defaultConfigDirectory ?? '/etc/postfix',
    nextPid: () => options.fixedPid ?? pid++,
    ...(options.mailSystem === undefined ? {} : { mailSystem: options.mailSystem }),
  };
}
