// The master.cf (and a minimal main.cf) that a fresh mtalab configuration directory starts
// with: the service lines of Postfix 3.7's stock master.cf, with chroot "n" everywhere as in
// the reference instances, under comments of our own. Called by whatever creates a config
// directory (real-mode default directory, scenarios that do not bring their own files).
// Trusts nothing; pure text. Models Postfix's conf/master.cf (service lines only).

/** The column header comment, shared by both variants. */
const header = `#
# master.cf: which Postfix services run, and how (see master(5)).
#
# One service per line; a line that starts with whitespace continues the line above.
# Columns: service name (or [host:]port for inet), transport type, private, unprivileged,
# chroot, wakeup time, process limit, command + arguments. A "-" means the built-in
# default; "-o name=value" overrides a main.cf parameter for that service alone.
#
# Changes take effect after "postfix reload". "postconf -M" shows this file normalised.
#
# ==========================================================================
# service type  private unpriv  chroot  wakeup  maxproc command + args
#               (yes)   (yes)   (no)    (never) (100)
# ==========================================================================
`;

/** Every service after the SMTP listener, as in Postfix's stock file. */
const internalServices = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
#
# Examples, switched off. A submission service for mail clients on port 587:
#submission inet n       -       n       -       -       smtpd
#  -o syslog_name=postfix/submission
#  -o smtpd_tls_security_level=encrypt
#  -o smtpd_sasl_auth_enable=yes
#
# A delivery agent that hands mail to a program (pipe(8)):
#mailfilter unix -      n       n       -       -       pipe
#  flags=Rq user=nobody argv=/usr/local/bin/filter \${sender} \${recipient}
`;

/** A master.cf with the SMTP server on the standard "smtp" port, as Postfix ships it. */
export const stockMasterCf = `${header}smtp      inet  n       -       n       -       -       smtpd\n${internalServices}`;

/**
 * A master.cf whose SMTP server listens on `listen` (e.g. "127.0.0.1:2525" for mtalab's
 * real-mode default directory, which must not need root for port 25).
 */
export function masterCfListeningOn(listen: string): string {
  const name = listen.length < 10 ? listen.padEnd(10, ' ') : `${listen} `;
  return `${header}${name}inet  n       -       n       -       -       smtpd\n${internalServices}`;
}

/** A minimal main.cf for a fresh host: loopback only, mail for the host itself. */
export function minimalMainCf(hostName: string): string {
  return `# main.cf: Postfix parameters (see postconf(5)); "postconf -n" shows what is set here.
compatibility_level = 3.6
myhostname = ${hostName}
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination = $myhostname, localhost.$mydomain, localhost
mynetworks = 127.0.0.0/8
biff = no
`;
}
