// The configuration checks every Postfix program makes at start-up (mail_params_init):
// inet_protocols names, then the global integer and size parameters with their lower and
// upper bounds. postfix(1) runs them before start and check, so a bad value is reported as
// "postfix: fatal: invalid default_process_limit parameter value 0 < 1" (commands/
// postfix-check-and-config-errors.txt). Per-program parameters (maximal_queue_lifetime,
// biff...) are checked only by the programs that read them, as in Postfix.
// Called by engine/admin/postfix.ts. Trusts MainConfig's getters for the "bad numerical
// configuration" fatal. Models src/global/mail_params.c (other_int_defaults,
// long_defaults) and src/util/inet_proto.c (inet_proto_init).

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';

interface Bounded {
  name: string;
  /** 0 means no bound, as in Postfix's tables. */
  min: number;
  max: number;
  kind: 'int' | 'long';
}

/** mail_params.c's other_int_defaults and long_defaults, in its order. */
export const GLOBAL_NUMBER_PARAMETERS: readonly Bounded[] = [
  { name: 'default_process_limit', min: 1, max: 0, kind: 'int' },
  { name: 'max_use', min: 1, max: 0, kind: 'int' },
  { name: 'dont_remove', min: 0, max: 0, kind: 'int' },
  { name: 'line_length_limit', min: 512, max: 0, kind: 'int' },
  { name: 'hash_queue_depth', min: 1, max: 0, kind: 'int' },
  { name: 'fork_attempts', min: 1, max: 0, kind: 'int' },
  { name: 'deliver_lock_attempts', min: 1, max: 0, kind: 'int' },
  { name: 'debug_peer_level', min: 1, max: 0, kind: 'int' },
  { name: 'fault_injection_code', min: 0, max: 0, kind: 'int' },
  { name: 'berkeley_db_create_buffer_size', min: 1, max: 0, kind: 'int' },
  { name: 'berkeley_db_read_buffer_size', min: 1, max: 0, kind: 'int' },
  { name: 'header_size_limit', min: 1, max: 0, kind: 'int' },
  { name: 'header_address_token_limit', min: 1, max: 0, kind: 'int' },
  { name: 'mime_nesting_limit', min: 1, max: 0, kind: 'int' },
  { name: 'mime_boundary_length_limit', min: 1, max: 0, kind: 'int' },
  { name: 'delay_logging_resolution_limit', min: 0, max: 6, kind: 'int' },
  { name: 'tcp_windowsize', min: 0, max: 0, kind: 'int' },
  { name: 'message_size_limit', min: 0, max: 0, kind: 'long' },
  { name: 'lmdb_map_size', min: 1, max: 0, kind: 'long' },
];

const INET_PROTOCOL_NAMES: readonly string[] = ['all', 'ipv4', 'ipv6'];

/** Fatal on the first bad value, in the order mail_params_init reads them. */
export function checkMailParameters(config: MainConfig, reporter: Reporter): void {
  const protocols = config.get('inet_protocols') ?? 'all';
  for (const name of protocols.split(/[\s,]+/).filter((word) => word !== '')) {
    if (!INET_PROTOCOL_NAMES.includes(name.toLowerCase())) reporter.fatal(`unknown inet_protocols value "${name}" in "${protocols}"`);
  }
  for (const parameter of GLOBAL_NUMBER_PARAMETERS) {
    if (config.get(parameter.name) === undefined) continue;
    const value = parameter.kind === 'int' ? config.getInt(parameter.name) : config.getSize(parameter.name);
    if (parameter.min !== 0 && value < parameter.min) reporter.fatal(`invalid ${parameter.name} parameter value ${value} < ${parameter.min}`);
    if (parameter.max !== 0 && value > parameter.max) reporter.fatal(`invalid ${parameter.name} parameter value ${value} > ${parameter.max}`);
  }
}
