#!/usr/bin/env bash
# Installs the Python environment of the conformance suite (tests/conformance): the official
# `fireworks-ai` client at the exact version we test against, its dependencies and pytest, all
# pinned in tests/conformance/requirements.lock, into a private venv at target/conformance-venv.
#
# Idempotent: when the venv already holds exactly the locked set it returns at once without
# touching the network. Only PyPI is needed. Override the venv location with
# FIREFORM_CONFORMANCE_VENV (the conformance test reads the same variable).
#
# Why `--no-deps`: fireworks-ai 1.2.30 declares `certifi>=2026.10.19`, newer than any certifi on
# the registry, so pip's resolver refuses it. The lock file lists every real dependency instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

lock=tests/conformance/requirements.lock
venv="${FIREFORM_CONFORMANCE_VENV:-target/conformance-venv}"
python="$venv/bin/python"
stamp="$venv/.fireform-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

installed_ok() {
  [ -x "$python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    "$python" -c 'import fireworks, pytest, httpx; assert fireworks.__version__ == "1.2.30", fireworks.__version__' \
      >/dev/null 2>&1
}

if installed_ok; then
  echo "conformance python environment is up to date ($venv)"
  exit 0
fi

base_python="${PYTHON:-python3}"
if ! "$base_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "error: \`$base_python\` is missing or older than 3.9; the fireworks-ai client needs python >= 3.9" >&2
  exit 1
fi

echo "installing the conformance python environment into $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$base_python" -m venv "$venv"
"$python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps --only-binary=:all: -r "$lock"
# Fail here, not in the middle of the suite, if the environment is not what the lock promises.
"$python" -c 'import fireworks, pytest, httpx, aiohttp; assert fireworks.__version__ == "1.2.30", fireworks.__version__'
echo "$want" >"$stamp"
echo "conformance python environment installed ($venv)"
