// hash_queue_names and hash_queue_depth from main.cf as the queue library takes them.
// Called by the runtime when it builds HostRuntime.queue(). Trusts MainConfig's getters
// (a bad hash_queue_depth is fatal there, as in Postfix).

import type { MainConfig } from '../global/config/main-cf.ts';
import type { QueueHashing } from '../global/queue/queue-id.ts';

export function hashingFromConfig(config: MainConfig): QueueHashing {
  return { hashQueueNames: config.getList('hash_queue_names'), hashQueueDepth: config.getInt('hash_queue_depth') };
}
