// The `mtalab` usage text and exit statuses. Called by engine/cli/main.ts. The statuses are
// sysexits(3)'s, as Postfix's own commands use them.

/** sysexits.h EX_USAGE: the command line was wrong. */
export const exitUsage = 64;

export const usageText = `usage: mtalab COMMAND [ARGUMENTS...]

Postfix administration commands (flags and output as Postfix 3.7):
  mtalab postconf [-c config_dir] [options] [parameter ...]
  mtalab postmap [-c config_dir] [options] type:file ...
  mtalab postalias [-c config_dir] [options] type:file ...
  mtalab newaliases [-c config_dir]

Other commands:
  mtalab serve [--port N]       serve the teaching UI on 127.0.0.1
  mtalab --help                 show this text

These commands work on the real disk of this machine. The configuration directory is the
one given with -c; without -c it is $MAIL_CONFIG when that is set, otherwise /etc/postfix,
as with Postfix itself.
`;
