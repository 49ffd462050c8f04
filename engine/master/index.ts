// master: one host's services (runtime.ts), the program table (programs.ts), the per-host
// registry the `postfix` command acts on (registry.ts), and the queue directory layout.
// Called by engine/admin/postfix.ts, engine/cli and the pipeline test harness.

export { startHost, createHostMaster, ServiceUnavailableError, SERVICES_MAX, type RunningHost, type StartHostOptions, type HostMasterHandle } from './runtime.ts';
export { runningHost, registeredHost, runningHosts, startRegisteredHost, stopRegisteredHost, AlreadyRunningError } from './registry.ts';
export { programs, lookupProgram } from './programs.ts';
export { createQueueDirectories, masterPidPath, masterPidText, parseMasterPid, QUEUE_SUBDIRECTORIES } from './queue-directories.ts';
export { ServiceInstance } from './service-instance.ts';
export { trivialRewriteProgram } from './rewrite-service.ts';
