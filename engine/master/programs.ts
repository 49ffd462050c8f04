// The program table: which master.cf commands mtalab can run, by the command name in
// master.cf's eighth column. Each entry is the ServiceProgram a service directory exports
// from its service.ts (CONVENTIONS.md rule 1). A master.cf entry whose command is not in
// this table is skipped (master logs one warning naming them) when the host starts.
// Called by the master runtime (runtime.ts). Models $daemon_directory: the programs master
// can execute.

import type { ServiceProgram } from './contracts.ts';
import { trivialRewriteProgram } from './rewrite-service.ts';
import { bounceProgram } from '../bounce/service.ts';
import { cleanupProgram } from '../cleanup/service.ts';
import { discardProgram } from '../discard/service.ts';
import { errorProgram } from '../error/service.ts';
import { localProgram } from '../local/service.ts';
import { pickupProgram } from '../pickup/service.ts';
import { pipeProgram } from '../pipe/service.ts';
import { qmgrProgram } from '../qmgr/service.ts';
import { virtualProgram } from '../virtual/service.ts';
import { showqProgram } from '../showq/service.ts';
import { smtpdProgram } from '../smtpd/service.ts';
import { lmtpProgram, smtpProgram } from '../smtp/service.ts';
import { anvilProgram } from '../anvil/service.ts';
import { flushProgram } from '../flush/service.ts';

/** Programs by master.cf command name. bounce/defer/trace all run "bounce"; error/retry
 *  both run "error". */
export const programs: Readonly<Record<string, ServiceProgram>> = {
  'trivial-rewrite': trivialRewriteProgram,
  cleanup: cleanupProgram,
  qmgr: qmgrProgram,
  bounce: bounceProgram,
  local: localProgram,
  error: errorProgram,
  discard: discardProgram,
  virtual: virtualProgram,
  pipe: pipeProgram,
  showq: showqProgram,
  pickup: pickupProgram,
  smtpd: smtpdProgram,
  smtp: smtpProgram,
  lmtp: lmtpProgram,
  anvil: anvilProgram,
  flush: flushProgram,
};

/** The program for a command, if mtalab implements it. */
export function lookupProgram(table: Readonly<Record<string, ServiceProgram>>, command: string): ServiceProgram | undefined {
  return Object.hasOwn(table, command) ? table[command] : undefined;
}
