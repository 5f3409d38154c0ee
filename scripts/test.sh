#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what tests need (Chromium, PostgreSQL
# from Debian's packages; Python deps from the lock file), starts a throw-away PostgreSQL on
# loopback, then ruff, mypy and pytest (unit, integration on SQLite and PostgreSQL, e2e).
source "$(dirname "$0")/_env.sh"

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

source "$ROOT/scripts/pg.sh"
pg_start
trap pg_stop EXIT

# BitMart's published docs, when they are beside the checkout: the drift test compares the
# committed reference data (tests/integration/sandbox_reference/data/) with them.
if [ -d "$ROOT/../shared/reference/bitmart-futures-v2" ]; then
  export PERPDESK_BITMART_REFERENCE_DIR="$(cd "$ROOT/../shared/reference/bitmart-futures-v2" && pwd)"
fi

# Subprocess servers (sandbox, platform, demo) start faster from compiled files; with
# PYTHONDONTWRITEBYTECODE set each start would compile everything again.
python -m compileall -q -j 2 perpdesk tests .venv/lib >/dev/null 2>&1 || true

echo "== ruff"; ruff check perpdesk tests bench
echo "== mypy"; mypy
echo "== pytest"
mkdir -p test-artifacts
pytest -p no:cacheprovider "$@"
