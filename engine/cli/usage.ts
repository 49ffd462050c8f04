// The `mtalab` usage text and exit statuses. Called by engine/cli/main.ts. The statuses are
// sysexits(3)'s, as Postfix's own commands use them.

/** sysexits.h EX_USAGE: the command line was wrong. */
export const exitUsage = 64;

export const usageText = `usage: mtalab COMMAND [ARGUMENTS...]

Run a mail host (flags, output and exit statuses as Postfix 3.7):
  mtalab postfix [-c config_dir] start|stop|abort|reload|flush|status|check
  mtalab sendmail [-C config_dir] [-f sender] [-t] [options] [recipient ...]
  mtalab mailq [-C config_dir]
  mtalab postqueue [-c config_dir] -p | -j | -f | -i queue_id | -s site
  mtalab postsuper [-c config_dir] [-d|-e|-f|-h|-H|-r queue_id|ALL|-] [-s] [queue ...]
  mtalab postcat [-c config_dir] [-bhevo] -q queue_id | file ...
  mtalab qshape [-c config_dir] [-s] [-b buckets] [-t minutes] [queue ...]

Configuration and lookup tables:
  mtalab postconf [-c config_dir] [options] [parameter ...]
  mtalab postmap [-c config_dir] [options] type:file ...
  mtalab postalias [-c config_dir] [options] type:file ...
  mtalab newaliases [-C config_dir]

Other commands:
  mtalab serve [--port N]       serve the teaching UI on 127.0.0.1
  mtalab sim SCENARIO [--seed N] [--until MS] [--events-max N] [--trace]
                                run a simulated world headless; print every host's
                                maillog, or the trace as JSON lines. Scenarios:
                                backup-mx, campus, dnsbl, hosting, single-host, two-hosts
  mtalab --help                 show this text

These commands work on the real disk of this machine. The configuration directory is the
one given with -c (sendmail, mailq and newaliases: -C); without it, $MAIL_CONFIG when that
is set, otherwise ~/.mtalab/postfix, made on first use: a loopback-only host whose queue,
mailboxes (mail/) and maillog live in that directory. \`mtalab postfix start\` runs the
host in the background; the other commands reach it through the sockets in its queue
directory (public/pickup, public/qmgr, public/showq), as Postfix's do.
`;
