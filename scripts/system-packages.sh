#!/usr/bin/env bash
# Installs the Debian packages Guichet needs, only those missing (so repeated runs cost nothing).
#   chromium                  headless browser for tests/browser (Playwright drives /usr/bin/chromium)
#   libldap2-dev libsasl2-dev headers to build python-ldap (LDAP directory integration)
#   slapd ldap-utils          a throwaway OpenLDAP server for the directory tests
#   dovecot-imapd             a throwaway IMAP server for the mail intake tests
# Usage: scripts/system-packages.sh PACKAGE...
set -euo pipefail

missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q "${missing[@]}"
