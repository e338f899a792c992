#!/usr/bin/env bash
# Installs the S3-compatible servers the state-backend tests run against (issue 12): LocalStack's
# runtime (`localstack-core`, host mode, no Docker) and moto's server mode (`moto[server]`), all
# pinned in tests/s3/requirements.lock, into a private venv at target/s3-venv. The servers are
# started by the tests themselves (crate `fireform-test-servers`), never here.
#
# Idempotent: when the venv already holds exactly the locked set it returns at once without
# touching the network. Only PyPI is needed. Override the venv location with FIREFORM_S3_VENV
# (`fireform-test-servers` reads the same variable).
#
# Why `--no-deps`: the lock is the whole environment (a `pip freeze` of a working install); a few
# pins differ from what the resolver would choose today, and the lock says why.
set -euo pipefail
cd "$(dirname "$0")/../.."

lock=tests/s3/requirements.lock
venv="${FIREFORM_S3_VENV:-target/s3-venv}"
python="$venv/bin/python"
stamp="$venv/.fireform-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

# Imports what the tests start, and checks the two servers' versions against the lock.
check='
import importlib.metadata as m
import localstack.aws.components, localstack.runtime.main, localstack.services.s3.provider
import localstack.runtime.server.twisted
import moto.server, OpenSSL, service_identity
for name, version in [("localstack-core", "4.13.1"), ("moto", "5.2.5")]:
    assert m.version(name) == version, f"{name} is {m.version(name)}, the lock says {version}"
'

installed_ok() {
  [ -x "$python" ] && [ -x "$venv/bin/moto_server" ] && [ -f "$stamp" ] &&
    [ "$(cat "$stamp")" = "$want" ] && "$python" -c "$check" >/dev/null 2>&1
}

if installed_ok; then
  echo "s3 servers are up to date ($venv)"
  exit 0
fi

base_python="${PYTHON:-python3}"
if ! "$base_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "error: \`$base_python\` is missing or older than 3.10; localstack-core 4.13.1 needs python >= 3.10" >&2
  exit 1
fi

echo "installing the s3 servers (LocalStack, moto) into $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$base_python" -m venv "$venv"
if ! "$python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps \
  --only-binary=:all: -r "$lock"; then
  echo "error: installing $lock into $venv failed (see pip's output above)" >&2
  exit 1
fi
# Fail here, not in the middle of the tests, if the environment is not what the lock promises.
if ! "$python" -m pip check --disable-pip-version-check || ! "$python" -c "$check"; then
  echo "error: the s3 venv at $venv does not work; see above" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "s3 servers installed ($venv)"
