// The scenarios shipped with mtalab, by id (the directory name). Each scenario.ts holds
// typed data; the files of its hosts are plain text under <id>/hosts/. Read by
// engine/sim/scenario.ts (createScenarioHosts with an id) and listed by the UI and CLI.

import type { ScenarioDefinition } from '../engine/sim/scenario.ts';
import { backupMx } from './backup-mx/scenario.ts';
import { campus } from './campus/scenario.ts';
import { dnsbl } from './dnsbl/scenario.ts';
import { hosting } from './hosting/scenario.ts';
import { singleHost } from './single-host/scenario.ts';
import { twoHosts } from './two-hosts/scenario.ts';

export const scenarios: Record<string, ScenarioDefinition> = {
  [singleHost.id]: singleHost,
  [twoHosts.id]: twoHosts,
  [campus.id]: campus,
  [hosting.id]: hosting,
  [backupMx.id]: backupMx,
  [dnsbl.id]: dnsbl,
};
