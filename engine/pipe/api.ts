// The pipe(8) delivery agent's core: the master.cf attributes (flags=, user=, size=, eol=,
// argv=...) are read, the checks Postfix makes before running anything are made (the D and
// O flags need one recipient per request, size= bounces 5.2.3, a Delivered-To loop bounces
// 5.4.6, a verify request only reports "delivers to command: ..."), the command's
// arguments are expanded per recipient, the message is copied to it through the runner,
// and its exit is turned into one outcome for every recipient: sent ("delivered via
// SERVICE service (output)"), deferred or bounced, with relay=SERVICE.
// Called by service.ts and tests. Trusts master.cf (the attributes are the administrator's)
// and the runner's report. Models deliver_message() and eval_command_status() of
// src/pipe/pipe.c.

import type { DeliveryRequest, DeliveryResult, RecipientStatus, ServiceContext } from '../master/contracts.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { quoteLocalPart } from '../global/address/index.ts';
import { isDelivered, readMessage, scanDeliveredTo } from '../global/mail-copy.ts';
import { checkRequest, queueFilePathOf, RequestOutcome, type Why } from '../error/recipient-outcome.ts';
import { serviceArguments } from '../error/service-arguments.ts';
import { readPipeAttributes, type PipeAttributes } from './attributes.ts';
import { expandArguments } from './expand.ts';
import { pipeCopy } from './copy.ts';
import { commandVerdict } from './command-status.ts';
import { DEFAULT_PATH, type PipeCommandRunner } from './runner.ts';

/** "%.100s": how much command output a success line keeps. */
const SUCCESS_OUTPUT_LENGTH_MAX = 100;
const CONFIGURATION_ERROR: Why = { dsn: '4.3.5', reason: 'mail system configuration error' };

/** <service>_time_limit, else command_time_limit (get_mail_conf_time2). */
export function timeLimitSeconds(config: MainConfig, serviceName: string): number {
  const name = `${serviceName}_time_limit`;
  if (config.isSet(name)) {
    try {
      const seconds = config.getTimeSeconds(name);
      if (Number.isFinite(seconds) && seconds >= 1) return seconds;
    } catch { /* fall back to the default below */ }
  }
  return config.getTimeSeconds('command_time_limit');
}

class PipeDelivery {
  readonly outcome: RequestOutcome;
  constructor(readonly context: ServiceContext, readonly request: DeliveryRequest, readonly attributes: PipeAttributes) {
    this.outcome = new RequestOutcome(context, request);
  }

  private status(index: number, why: Why, action: RecipientStatus['action']): RecipientStatus {
    return { recipient: this.request.recipients[index]!, dsn: why.dsn, action, reason: why.reason, relay: this.context.serviceName };
  }

  /** PIPE_STAT_BOUNCE / PIPE_STAT_DEFER: one outcome for every recipient, by code class. */
  async failAll(why: Why): Promise<DeliveryResult> {
    for (let index = 0; index < this.request.recipients.length; index++) {
      await this.outcome.failed(this.status(index, why, why.dsn.startsWith('4') ? 'delayed' : 'failed'));
    }
    return this.outcome.result();
  }

  /** PIPE_STAT_OK (and the trace-only report). */
  async sentAll(why: Why): Promise<DeliveryResult> {
    const action = this.attributes.flags.finalDelivery ? 'delivered' : 'relayed';
    for (let index = 0; index < this.request.recipients.length; index++) {
      await this.outcome.sent(this.status(index, why, action));
    }
    return this.outcome.result();
  }
}

function requestValues(context: ServiceContext, request: DeliveryRequest, attributes: PipeAttributes): Map<string, string> {
  const flags = attributes.flags;
  const sender = request.sender !== '' ? request.sender : attributes.nullSender;
  return new Map([
    ['sender', sender !== '' && flags.quoteLocal ? quoteLocalPart(sender) : sender],
    ['nexthop', flags.foldHost ? request.nexthop.toLowerCase() : request.nexthop],
    ['size', String(request.messageSize)],
    ['client_address', request.clientAddress ?? ''],
    ['client_hostname', request.clientName ?? ''],
    ['client_port', request.clientPort ?? ''],
    ['client_protocol', request.clientProtocol ?? ''],
    ['client_helo', request.clientHelo ?? ''],
    ['sasl_method', request.saslMethod ?? ''],
    ['sasl_username', request.saslUsername ?? ''],
    ['sasl_sender', request.saslSender ?? ''],
    ['queue_id', request.queueId],
  ]);
}

export async function deliverPipe(context: ServiceContext, request: DeliveryRequest, runner: PipeCommandRunner): Promise<DeliveryResult> {
  checkRequest(context, request);
  const config = context.config();
  const fs = context.host.platform.fs;
  const attributes = await readPipeAttributes(serviceArguments(context.entry.arguments), { fs, config, log: context.log });
  const delivery = new PipeDelivery(context, request, attributes);
  const { flags } = attributes;
  const single = request.recipients.length === 1;
  for (const [flag, letter] of [[flags.deliveredTo, 'D'], [flags.originalRecipient, 'O']] as const) {
    if (flag && !single) {
      const result = await delivery.failAll(CONFIGURATION_ERROR);
      context.log.warn(`pipe flag \`${letter}' requires ${context.serviceName}_destination_recipient_limit = 1`);
      return result;
    }
  }
  if (attributes.sizeLimitBytes !== 0 && request.messageSize > attributes.sizeLimitBytes) {
    return delivery.failAll({ dsn: '5.2.3', reason: 'message too large' });
  }
  if (request.flags?.verify === true) {
    return delivery.sentAll({ dsn: '2.0.0', reason: `delivers to command: ${attributes.command[0]}` });
  }
  const message = await readMessage(fs, queueFilePathOf(context, request), request.contentOffset);
  const first = request.recipients[0]!;
  if (flags.deliveredTo && isDelivered(scanDeliveredTo(message), first.address)) {
    return delivery.failAll({ dsn: '5.4.6', reason: `mail forwarding loop for ${first.address}` });
  }
  const values = requestValues(context, request, attributes);
  const argv = expandArguments(attributes.command, request.recipients, {
    values, flags, serviceName: context.serviceName, configDirectory: config.configDirectory,
    split: {
      recipientDelimiter: config.get('recipient_delimiter') ?? '',
      doubleBounceSender: config.get('double_bounce_sender') ?? 'double-bounce',
      ownerRequestSpecial: config.getBool('owner_request_special'),
    },
    warn: (text) => context.log.warn(text),
  });
  if (argv === undefined) return delivery.failAll(CONFIGURATION_ERROR);
  if (!message.intact) {
    context.log.warn(`${request.queueId}: bad record type in message content`);
    delivery.outcome.noteDeferred();
    return delivery.outcome.result();
  }
  const input = pipeCopy(message, {
    sender: request.sender !== '' ? request.sender : attributes.nullSender,
    originalRecipient: first.originalRecipient, delivered: first.address, nowMs: context.host.platform.clock.nowMs(),
    enableOriginalRecipient: config.getBool('enable_original_recipient'),
  }, flags, attributes.eol);
  const outcome = await runner.run({
    argv, uid: attributes.uid, gid: attributes.gid, user: attributes.user, input, host: context.host,
    ...(attributes.directory !== undefined ? { directory: attributes.directory } : {}),
    environment: { PATH: DEFAULT_PATH, MAIL_CONFIG: config.configDirectory },
    timeLimitMs: timeLimitSeconds(config, context.serviceName) * 1000,
  });
  const verdict = commandVerdict(outcome, argv[0] ?? '');
  if (verdict.kind !== 'ok') return delivery.failAll(verdict);
  const kept = verdict.output.replace(/[ \t\n\r\f\v]+$/, '');
  const suffix = kept === '' ? '' : ` (${kept.slice(0, SUCCESS_OUTPUT_LENGTH_MAX)})`;
  return delivery.sentAll({ dsn: '2.0.0', reason: `delivered via ${context.serviceName} service${suffix}` });
}
