# Shared set-up for the project's scripts: uv and the locked Python environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
export UV_LINK_MODE=copy
uv sync --frozen --quiet ${PERPDESK_UV_SYNC_ARGS:-}
export PATH="$ROOT/.venv/bin:$PATH"
