#!/usr/bin/env bash
# Makes sure the Debian tools that the tests drive are present: chromium (browser tests),
# postfix + postfix-pcre + postfix-lmdb (interop: the real postconf/postmap/postalias),
# swaks (SMTP interop), openssl (throwaway certificates for the STARTTLS tests). Installs them when missing and we are root with apt-get; otherwise
# stops with the exact command to run. Debian's postfix is installed with "No
# configuration" and never started as the default instance: the tests run private
# instances with their own config directories on loopback.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v postconf >/dev/null 2>&1 || missing+=(postfix)
# pcre: and lmdb: tables come in their own packages.
if command -v postconf >/dev/null 2>&1; then
  maps=$(postconf -c "$(dirname "$0")/../test/fixtures/empty-config" -m 2>/dev/null || true)
  grep -qx pcre <<<"$maps" || missing+=(postfix-pcre)
  grep -qx lmdb <<<"$maps" || missing+=(postfix-lmdb)
else
  missing+=(postfix-pcre postfix-lmdb)
fi
command -v swaks >/dev/null 2>&1 || missing+=(swaks)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-tools: installing ${missing[*]}" >&2
  apt-get update -q >/dev/null
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  exit 0
fi
echo "ensure-test-tools: the tests need ${missing[*]}; install them as root with:" >&2
echo "  $cmd" >&2
exit 1
