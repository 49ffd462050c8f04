// What happens to a recipient that is neither an alias nor a user with a mailbox:
// fallback_transport (not supported here: deferred with a reason that says so),
// luser_relay (the expanded address gets the mail, through the normal address
// resolution; an unknown user whose luser_relay is itself bounces), a missing
// postmaster or MAILER-DAEMON alias (discarded with a warning), and otherwise the bounce
// "5.1.1 unknown user: "NAME"". Called by recipient.ts. Models src/local/unknown.c.

import type { LocalState, UserAttr, DeliveryStatus } from './state.ts';
import { beenHere, nextLevel, STATUS_OK } from './state.ts';
import { reportBounced, reportDeferred, reportSent } from './status.ts';
import { localExpand } from './expand.ts';
import { deliverResolveAddress } from './token.ts';

export async function deliverUnknown(state: LocalState, user: UserAttr): Promise<DeliveryStatus> {
  const here = nextLevel(state);
  const { deps } = here.shared;
  const settings = deps.settings;
  if (beenHere(here, `deliver_unknown ${here.attr.local}`)) return STATUS_OK;
  if (settings.fallbackTransport !== '') {
    return reportDeferred(here, { dsn: '4.3.0', reason: `fallback_transport ${settings.fallbackTransport} is not supported by this local(8)` });
  }
  if (settings.luserRelay !== '') {
    here.attr.unmatched = undefined;
    const expanded = localExpand(settings.luserRelay, here, user).text;
    const canonical = await deps.rewrite.rewrite('local', expanded);
    if (canonical.toLowerCase() === here.attr.recipient.address.toLowerCase()) {
      return reportBounced(here, { dsn: '5.1.1', reason: `unknown user: "${here.attr.user}"` });
    }
    return deliverResolveAddress(here, user, expanded);
  }
  const name = here.attr.user.toLowerCase();
  if (name === 'mailer-daemon' || name === 'postmaster') {
    deps.log.warn(`required alias not found: ${here.attr.user}`);
    return reportSent(here, { dsn: '2.0.0', reason: 'discarded' });
  }
  return reportBounced(here, { dsn: '5.1.1', reason: `unknown user: "${here.attr.user}"` });
}
