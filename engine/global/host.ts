// A host: the unit that one set of Postfix configuration and one file system belong to.
// In the simulation a World holds many; in real mode the CLI makes one for the machine.
// Admin commands, services and the shell receive the Host they run on and reach the
// platform, the configuration directory and process ids through it.

import type { Platform } from '../platform/types.ts';

export interface Host {
  /** The machine's host name, as hostname(1) prints it. */
  readonly name: string;
  readonly platform: Platform;
  /** Where main.cf and master.cf live unless -c or MAIL_CONFIG says otherwise. */
  readonly defaultConfigDirectory: string;
  /** A fresh process id for a program run, for log tags such as "postconf[1234]". */
  nextPid(): number;
}

export interface HostOptions {
  name: string;
  platform: Platform;
  defaultConfigDirectory?: string;
  /** First pid handed out; sim hosts start low and count up deterministically. */
  firstPid?: number;
  /** Real mode passes process.pid so that log tags show the real process. */
  fixedPid?: number;
}

export function createHost(options: HostOptions): Host {
  let pid = options.firstPid ?? 1000;
  return {
    name: options.name,
    platform: options.platform,
    defaultConfigDirectory: options.defaultConfigDirectory ?? '/etc/postfix',
    nextPid: () => options.fixedPid ?? pid++,
  };
}
