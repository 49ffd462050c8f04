// The parameters virtual(8) reads, checked as Postfix checks them when the program starts:
// virtual_mailbox_base must be an absolute path, virtual_mailbox_lock a list of known
// methods, and a virtual_mailbox_limit must not be below message_size_limit (or the same
// message would be delivered again and again). A violation is fatal for the agent (qmgr
// then sees a crashed delivery and retries later), as it is for Postfix's process.
// Called by api.ts. Trusts MainConfig (engine/global/config) for values and defaults.
// Models the parameter tables and pre_init() of src/virtual/virtual.c, mbox_lock_mask()
// of src/global/mbox_conf.c and the base-path check of src/virtual/mailbox.c.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';

export interface VirtualSettings {
  mailboxBase: string;
  mailboxMaps: string;
  uidMaps: string;
  gidMaps: string;
  minimumUid: number;
  /** virtual_mailbox_limit in bytes; 0 means no limit. */
  mailboxLimitBytes: number;
  /** Whether virtual_mailbox_lock includes dotlock (fcntl/flock are the in-process lock). */
  dotLock: boolean;
  /** stale_lock_time: a dot-lock older than this is broken. */
  staleLockSeconds: number;
  strictMailboxOwnership: boolean;
  enableOriginalRecipient: boolean;
  recipientDelimiter: string;
}

/** The lock methods Postfix knows on Linux (mbox_conf.c). */
const LOCK_METHODS = new Set(['flock', 'fcntl', 'dotlock']);

/** Reads and checks the settings; a violation is reported with reporter.fatal (throws). */
export function readVirtualSettings(config: MainConfig, reporter: Reporter): VirtualSettings {
  const text = (name: string): string => config.get(name) ?? '';
  const mailboxBase = text('virtual_mailbox_base');
  if (mailboxBase === '') reporter.fatal(`bad string length 0 < 1: virtual_mailbox_base = ${mailboxBase}`);
  const lockValue = text('virtual_mailbox_lock');
  if (lockValue.trim() === '') reporter.fatal(`bad string length 0 < 1: virtual_mailbox_lock = ${lockValue}`);
  const methods = lockValue.split(/[\s,]+/).filter((word) => word !== '');
  for (const method of methods) {
    if (!LOCK_METHODS.has(method.toLowerCase())) reporter.fatal(`unknown mailbox_lock value "${method}" in "${lockValue}"`);
  }
  const minimumUid = config.getInt('virtual_minimum_uid');
  if (minimumUid < 1) reporter.fatal(`invalid virtual_minimum_uid parameter value ${minimumUid} < 1`);
  const mailboxLimitBytes = config.getSize('virtual_mailbox_limit');
  const messageLimitBytes = config.getSize('message_size_limit');
  if (mailboxLimitBytes > 0) {
    if (messageLimitBytes <= 0) {
      reporter.fatal('configuration error: virtual_mailbox_limit is limited but message_size_limit is unlimited');
    }
    if (mailboxLimitBytes < messageLimitBytes) {
      reporter.fatal('configuration error: virtual_mailbox_limit is smaller than message_size_limit');
    }
  }
  if (!mailboxBase.startsWith('/')) {
    reporter.fatal(`do not specify relative pathname: virtual_mailbox_base = ${mailboxBase}`);
  }
  return {
    mailboxBase,
    mailboxMaps: text('virtual_mailbox_maps'),
    uidMaps: text('virtual_uid_maps'),
    gidMaps: text('virtual_gid_maps'),
    minimumUid,
    mailboxLimitBytes: Math.max(0, mailboxLimitBytes),
    dotLock: methods.some((method) => method.toLowerCase() === 'dotlock'),
    staleLockSeconds: config.getTimeSeconds('stale_lock_time'),
    strictMailboxOwnership: config.getBool('strict_mailbox_ownership'),
    enableOriginalRecipient: config.getBool('enable_original_recipient'),
    recipientDelimiter: text('recipient_delimiter'),
  };
}
