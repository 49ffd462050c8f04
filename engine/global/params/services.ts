// Per-service parameters: for each master.cf service whose command is a delivery agent
// (local, error, virtual, smtp, lmtp, pipe) or spawn, Postfix knows parameters named
// "<service>_destination_concurrency_limit" and so on, each defaulting to "$<global name>".
// postconf -d lists them; the queue manager and the agents read them. Called by postconf
// and by engine/global/config for "is this name used?". Models postconf_service.c.

import type { ParameterType } from './types.ts';

interface ServiceSuffix {
  readonly suffix: string;
  /** The global parameter whose value is the default. */
  readonly globalName: string;
  readonly type: ParameterType;
}

const timeLimitSuffix: ServiceSuffix = { suffix: '_time_limit', globalName: 'command_time_limit', type: 'time' };

/** What the queue manager reads for every delivery transport. */
const transportSuffixes: readonly ServiceSuffix[] = [
  { suffix: '_recipient_limit', globalName: 'default_recipient_limit', type: 'integer' },
  { suffix: '_extra_recipient_limit', globalName: 'default_extra_recipient_limit', type: 'integer' },
  { suffix: '_recipient_refill_limit', globalName: 'default_recipient_refill_limit', type: 'integer' },
  { suffix: '_recipient_refill_delay', globalName: 'default_recipient_refill_delay', type: 'time' },
  { suffix: '_delivery_slot_cost', globalName: 'default_delivery_slot_cost', type: 'integer' },
  { suffix: '_delivery_slot_loan', globalName: 'default_delivery_slot_loan', type: 'integer' },
  { suffix: '_delivery_slot_discount', globalName: 'default_delivery_slot_discount', type: 'integer' },
  { suffix: '_minimum_delivery_slots', globalName: 'default_minimum_delivery_slots', type: 'integer' },
  { suffix: '_initial_destination_concurrency', globalName: 'initial_destination_concurrency', type: 'integer' },
  { suffix: '_destination_concurrency_limit', globalName: 'default_destination_concurrency_limit', type: 'integer' },
  { suffix: '_destination_recipient_limit', globalName: 'default_destination_recipient_limit', type: 'integer' },
  { suffix: '_destination_concurrency_positive_feedback', globalName: 'default_destination_concurrency_positive_feedback', type: 'string' },
  { suffix: '_destination_concurrency_negative_feedback', globalName: 'default_destination_concurrency_negative_feedback', type: 'string' },
  { suffix: '_destination_concurrency_failed_cohort_limit', globalName: 'default_destination_concurrency_failed_cohort_limit', type: 'integer' },
  { suffix: '_destination_rate_delay', globalName: 'default_destination_rate_delay', type: 'time' },
  { suffix: '_transport_rate_delay', globalName: 'default_transport_rate_delay', type: 'time' },
];

/** Program name (master.cf's command field) -> the parameters each of its services gets. */
const suffixesByProgram: ReadonlyMap<string, readonly ServiceSuffix[]> = new Map([
  ['local', transportSuffixes],
  ['error', transportSuffixes],
  ['virtual', transportSuffixes],
  ['smtp', transportSuffixes],
  ['lmtp', transportSuffixes],
  ['pipe', [timeLimitSuffix, ...transportSuffixes]],
  ['spawn', [timeLimitSuffix]],
]);

export interface ServiceParameter {
  readonly name: string;
  readonly service: string;
  /** The global parameter name whose value is the default ("$name" is the default text). */
  readonly globalName: string;
  readonly type: ParameterType;
}

/** The per-service parameters of one master.cf service, in Postfix's registration order. */
export function serviceParameters(service: string, command: string): ServiceParameter[] {
  const suffixes = suffixesByProgram.get(command) ?? [];
  return suffixes.map((entry) => ({
    name: `${service}${entry.suffix}`, service, globalName: entry.globalName, type: entry.type,
  }));
}
