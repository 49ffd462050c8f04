// RFC 5322 dates as Postfix's mail_date() writes them: "Sun, 22 Nov 2026 09:27:55 +0000 (UTC)",
// the day of the month space-padded (strftime %e). The engine has no time zone, so every
// date is UTC, as on the reference machine.
// Called by the DSN composer (Arrival-Date, Will-Retry-Until) and by anyone who needs a
// Date: header value. Trusts its input to be seconds since the epoch.
// Models src/global/mail_date.c.

import { asctime } from '../queue/record-text.ts';

/** mail_date(t) in UTC. */
export function mailDate(epochSeconds: number): string {
  // asctime gives "Sun Nov 22 09:27:55 2026\n" with a space-padded day, as %e does.
  const text = asctime(Math.floor(epochSeconds));
  const weekday = text.slice(0, 3);
  const month = text.slice(4, 7);
  const day = text.slice(8, 10);
  const clock = text.slice(11, 19);
  const year = text.slice(20, text.length - 1);
  return `${weekday}, ${day} ${month} ${year} ${clock} +0000 (UTC)`;
}
