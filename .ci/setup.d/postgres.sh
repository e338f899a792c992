#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries the state-backend tests need (issue 12) are present,
# and, since initdb refuses to run as root, that an unprivileged system user owns the throwaway
# test clusters. It starts no cluster: crate `fireform-test-servers` starts one per test on a
# free loopback port and removes it afterwards.
#
# Idempotent: with the binaries and the user present it changes nothing and needs no network.
# Only Debian's package archive is needed, and only when the binaries are missing. The binary
# directory can be overridden with FIREFORM_PG_BIN (the crate reads the same variable); the user
# is `fireform-pg`.
set -euo pipefail

bin="${FIREFORM_PG_BIN:-/usr/lib/postgresql/15/bin}"
user=fireform-pg

have_binaries() {
  for tool in initdb pg_ctl postgres; do
    [ -x "$bin/$tool" ] || return 1
  done
}

if ! have_binaries; then
  if [ -n "${FIREFORM_PG_BIN:-}" ]; then
    echo "error: FIREFORM_PG_BIN=$bin lacks initdb, pg_ctl or postgres" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: PostgreSQL server binaries are missing from $bin; run this script as root to install them" >&2
    exit 1
  fi
  echo "installing PostgreSQL (apt-get install postgresql)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  if ! have_binaries; then
    echo "error: apt-get installed postgresql, but $bin still lacks initdb, pg_ctl or postgres" \
      "(another major version? set FIREFORM_PG_BIN)" >&2
    exit 1
  fi
fi

if [ "$(id -u)" -eq 0 ]; then
  if ! id -u "$user" >/dev/null 2>&1; then
    echo "creating the system user $user for test clusters"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
  fi
  if ! command -v runuser >/dev/null; then
    echo "error: \`runuser\` is missing; the tests run initdb and pg_ctl through it as $user" >&2
    exit 1
  fi
  # The cluster runs as the user: it must be able to run the binaries.
  if ! runuser -u "$user" -- "$bin/postgres" --version >/dev/null; then
    echo "error: $user cannot run $bin/postgres" >&2
    exit 1
  fi
fi
echo "postgresql is ready ($("$bin/postgres" --version), clusters run as $( [ "$(id -u)" -eq 0 ] && echo "$user" || id -un))"
