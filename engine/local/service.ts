// local(8) as a master.cf service ("local unix - n n - - local"): a thin shell that reads
// the service's parameters, opens alias_maps and mailbox_command_maps once per
// configuration (a reload gives a new MainConfig and new tables, as Postfix's local
// restarts when a table changes), and hands each DeliveryRequest to the core in api.ts
// with the delivery-status library for the log lines, the bounce/defer logs and the
// done-marking. Commands run through the platform's command runner when it offers one
// (a `commandRunner` property; none does yet), else through the built-in programs of
// command-runner.ts. Called by master (engine/master/programs.ts). Models the
// single_server skeleton around local_service() in src/local/local.c.

import type {
  DeliveryAgentEndpoint, DeliveryRecipient, DeliveryRequest, RunningService, ServiceContext, ServiceProgram,
  ServiceTraceInput,
} from '../master/contracts.ts';
import type { MainConfig } from '../global/config/main-cf.ts';
import { openLookupTable, type LookupTable } from '../global/maps/index.ts';
import { markRecipientDone } from '../global/queue/queue-file.ts';
import { noteAgentHandoff, reportBounced, reportDeferred, reportSent } from '../global/delivery-status.ts';
import { deliverLocal, REQUEST_RECIPIENTS_MAX } from './api.ts';
import { localSettingsOf } from './settings.ts';
import { createBuiltinCommandRunner, type CommandRunner } from './command-runner.ts';
import { ownershipFor } from '../global/ownership.ts';
import type { LocalDependencies, StatusSink } from './state.ts';

export const LOCAL_PROGRAM = 'local';

function queueFilePath(context: ServiceContext, request: DeliveryRequest): string {
  return request.queuePath.startsWith('/') ? request.queuePath : `${context.runtime.queue().queueDirectory}/${request.queuePath}`;
}

function statusSink(context: ServiceContext): StatusSink {
  return {
    sent: (request, status) => reportSent(context, request, status),
    deferred: (request, status) => reportDeferred(context, request, status),
    bounced: (request, status) => reportBounced(context, request, status),
    completed: async (request: DeliveryRequest, recipient: DeliveryRecipient) => {
      if (recipient.offset <= 0) return;
      const handle = await context.host.platform.fs.open(queueFilePath(context, request), 'r+');
      try {
        await markRecipientDone(handle, recipient.offset);
      } finally {
        await handle.close();
      }
    },
  };
}

export interface LocalService extends RunningService, DeliveryAgentEndpoint {}

export function startLocalService(context: ServiceContext): LocalService {
  const platform = context.host.platform;
  const ownership = ownershipFor(platform.fs);
  const fs = platform.fs;
  const offered = (platform as { commandRunner?: CommandRunner }).commandRunner;
  const commands = offered ?? createBuiltinCommandRunner(fs, ownership);
  let tables: { config: MainConfig; opened: Map<string, Promise<LookupTable>> } | undefined;
  const openTable = (spec: string): Promise<LookupTable> => {
    const config = context.config();
    if (tables === undefined || tables.config !== config) tables = { config, opened: new Map() };
    let table = tables.opened.get(spec);
    if (table === undefined) {
      table = openLookupTable(spec, { fs, reporter: context.log, cwd: config.configDirectory, allowSurrogate: true });
      tables.opened.set(spec, table);
    }
    return table;
  };
  const status = statusSink(context);
  const trace = (detail: ServiceTraceInput): void => context.trace(detail);
  let stopped = false;
  return {
    async deliver(request) {
      if (stopped) return { deferred: true };
      noteAgentHandoff(context, request);
      const deps: LocalDependencies = {
        host: context.host,
        fs,
        settings: localSettingsOf(context.config()),
        serviceName: context.serviceName,
        pid: context.pid,
        log: context.log,
        trace,
        rewrite: context.runtime.rewrite(),
        cleanup: context.runtime.cleanup(),
        status,
        openTable,
        commands,
        ownership,
        queueDirectory: context.runtime.queue().queueDirectory,
      };
      if (request.recipients.length > REQUEST_RECIPIENTS_MAX) context.log.warn(`${request.queueId}: too many recipients in one request`);
      return deliverLocal(deps, request);
    },
    async stop() {
      stopped = true;
      tables = undefined;
    },
  };
}

export const localProgram: ServiceProgram = {
  program: LOCAL_PROGRAM,
  start: async (context) => startLocalService(context),
};
