// The parameters qmgr(8) reads, gathered once per start or reload into plain numbers, and
// the per-transport limits looked up by transport name (<transport>_destination_*_limit,
// falling back to the default_destination_* values as Postfix's per-service defaults do).
// Called by service.ts (from ServiceContext.config()) and by tests, which build settings
// directly. Trusts MainConfig for parsing and bounds. Models the parameter tables of
// src/qmgr/qmgr.c and qmgr_transport_create's limit lookups (get_mail_conf_int2).

import type { MainConfig } from '../global/config/main-cf.ts';

export interface QmgrSettings {
  /** queue_run_delay: how often the deferred queue is scanned. */
  queueRunDelaySeconds: number;
  /** minimal_backoff_time / maximal_backoff_time: bounds of a deferred message's wait. */
  backoffSecondsMin: number;
  backoffSecondsMax: number;
  /** maximal_queue_lifetime and bounce_queue_lifetime (null sender). */
  queueLifetimeSeconds: number;
  bounceQueueLifetimeSeconds: number;
  /** delay_warning_time; 0 disables. Read here only to know whether warnings are on. */
  delayWarningSeconds: number;
  /** qmgr_message_active_limit: messages in the active queue at once. */
  activeMessagesMax: number;
  /** initial_destination_concurrency. */
  initialConcurrency: number;
  /** default_destination_concurrency_failed_cohort_limit. */
  failedCohortLimit: number;
  /** defer_transports: transports whose mail waits for a flush. */
  deferTransports: readonly string[];
  /** double_bounce_sender: mail to this local part is discarded, not delivered. */
  doubleBounceSender: string;
  /** recipient_delimiter: stripped from the local part of per-recipient queue names. */
  recipientDelimiters: string;
  /** default_filter_nexthop: the nexthop of a content filter given without one. */
  defaultFilterNexthop: string;
  /** myhostname: the last resort nexthop of a filter for a recipient without a domain. */
  myHostname: string;
  /** Per-transport limits (0 means no limit). */
  concurrencyLimit(transport: string): number;
  recipientLimit(transport: string): number;
}

/** Postfix's own bounds on the queue lifetimes (qmgr.c: 0 .. 8640000 seconds). */
export const QUEUE_LIFETIME_SECONDS_MAX = 8_640_000;

function intOr(config: MainConfig, name: string, fallback: number): number {
  return config.get(name) === undefined ? fallback : config.getInt(name);
}

/** Reads qmgr's parameters, applying qmgr's post-init adjustments. */
export function readQmgrSettings(config: MainConfig, warn: (text: string) => void = () => undefined): QmgrSettings {
  const queueLifetimeSeconds = Math.min(config.getTimeSeconds('maximal_queue_lifetime'), QUEUE_LIFETIME_SECONDS_MAX);
  let bounceQueueLifetimeSeconds = Math.min(config.getTimeSeconds('bounce_queue_lifetime'), QUEUE_LIFETIME_SECONDS_MAX);
  if (bounceQueueLifetimeSeconds > queueLifetimeSeconds) {
    warn('bounce_queue_lifetime is larger than maximal_queue_lifetime - adjusting bounce_queue_lifetime');
    bounceQueueLifetimeSeconds = queueLifetimeSeconds;
  }
  const defaultConcurrency = config.getInt('default_destination_concurrency_limit');
  const defaultRecipients = config.getInt('default_destination_recipient_limit');
  return {
    queueRunDelaySeconds: config.getTimeSeconds('queue_run_delay'),
    backoffSecondsMin: config.getTimeSeconds('minimal_backoff_time'),
    backoffSecondsMax: config.getTimeSeconds('maximal_backoff_time'),
    queueLifetimeSeconds,
    bounceQueueLifetimeSeconds,
    delayWarningSeconds: config.getTimeSeconds('delay_warning_time'),
    activeMessagesMax: config.getInt('qmgr_message_active_limit'),
    initialConcurrency: config.getInt('initial_destination_concurrency'),
    failedCohortLimit: intOr(config, 'default_destination_concurrency_failed_cohort_limit', 1),
    deferTransports: config.getList('defer_transports'),
    doubleBounceSender: config.get('double_bounce_sender') ?? 'double-bounce',
    recipientDelimiters: config.get('recipient_delimiter') ?? '',
    defaultFilterNexthop: config.get('default_filter_nexthop') ?? '',
    myHostname: config.get('myhostname') ?? '',
    concurrencyLimit: (transport) => intOr(config, `${transport}_destination_concurrency_limit`, defaultConcurrency),
    recipientLimit: (transport) => intOr(config, `${transport}_destination_recipient_limit`, defaultRecipients),
  };
}

/** Postfix 3.7's defaults, for tests and callers without a main.cf. */
export function defaultQmgrSettings(overrides: Partial<QmgrSettings> = {}): QmgrSettings {
  const perTransport: Record<string, { concurrency: number; recipients: number }> = {
    local: { concurrency: 2, recipients: 1 },
  };
  return {
    queueRunDelaySeconds: 300,
    backoffSecondsMin: 300,
    backoffSecondsMax: 4000,
    queueLifetimeSeconds: 432_000,
    bounceQueueLifetimeSeconds: 432_000,
    delayWarningSeconds: 0,
    activeMessagesMax: 20_000,
    initialConcurrency: 5,
    failedCohortLimit: 1,
    deferTransports: [],
    doubleBounceSender: 'double-bounce',
    recipientDelimiters: '',
    defaultFilterNexthop: '',
    myHostname: 'mail.example.com',
    concurrencyLimit: (transport) => perTransport[transport]?.concurrency ?? 20,
    recipientLimit: (transport) => perTransport[transport]?.recipients ?? 50,
    ...overrides,
  };
}
