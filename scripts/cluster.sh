#!/usr/bin/env bash
# A local cluster on loopback: PostgreSQL (scripts/pg.sh), the BitMart sandbox, 2 web-only
# processes and N workers (docs/deploy.md).
#   scripts/cluster.sh start [N]   # N workers (default 2); prints where everything listens
#   scripts/cluster.sh add-worker  # one more worker (it takes its share of the accounts)
#   scripts/cluster.sh restart NAME [--kill]   # web1, worker2...: stop (SIGTERM, or SIGKILL with
#                                  # --kill) and start again on the same port
#   scripts/cluster.sh stop
# State, logs and cluster.env (ports, URLs, pids) go in $PERPDESK_CLUSTER_DIR (default
# /tmp/perpdesk-cluster). PERPDESK_* variables set by the caller reach every process.
# PERPDESK_CLUSTER_SKIP_SYNC=1 uses the existing .venv as is (the tests).
set -euo pipefail
if [ -n "${PERPDESK_CLUSTER_SKIP_SYNC:-}" ]; then
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"; cd "$ROOT"; export PATH="$ROOT/.venv/bin:$PATH"
else
  source "$(dirname "$0")/_env.sh"
fi
source "$ROOT/scripts/pg.sh"
DIR="${PERPDESK_CLUSTER_DIR:-/tmp/perpdesk-cluster}"

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

set_env() {  # KEY VALUE: replace the line in cluster.env
  sed -i "/^$1=/d" "$DIR/cluster.env"; echo "$1=$2" >>"$DIR/cluster.env"
}

launch() {  # name port: start one process (worker* or web*) with the cluster's environment
  local name="$1" port="$2"
  if [[ "$name" == worker* ]]; then
    PERPDESK_PORT="$port" perpdesk worker >>"$DIR/logs/$name.log" 2>&1 &
  else
    PERPDESK_PORT="$port" perpdesk serve --web-only >>"$DIR/logs/$name.log" 2>&1 &
  fi
  local pid=$!
  set_env "${name^^}_PID" "$pid"; set_env "${name^^}_URL" "http://127.0.0.1:$port"
  LAUNCHED="$name http://127.0.0.1:$port/healthz $pid"
}

wait_up() {  # name url pid
  for _ in $(seq 1 600); do
    if ! kill -0 "$3" 2>/dev/null; then echo "$1 exited; its log:" >&2; tail -n 40 "$DIR/logs/$1.log" >&2; return 1; fi
    if curl -fs -o /dev/null --max-time 1 "$2"; then return 0; fi
    sleep 0.2
  done
  echo "$1 did not answer $2" >&2; return 1
}

start() {
  local workers="${1:-2}"
  [ ! -e "$DIR/cluster.env" ] || { echo "a cluster runs in $DIR: scripts/cluster.sh stop" >&2; exit 1; }
  mkdir -p "$DIR/logs" "$DIR/data"
  pg_start >/dev/null
  { echo "PG_DIR=$PG_DIR"; echo "PG_URL=$PERPDESK_TEST_PG_URL"; } >"$DIR/cluster.env"
  local sandbox_port token
  sandbox_port="$(free_port)"; token="$(python -c 'import secrets; print(secrets.token_urlsafe(16))')"
  perpdesk sandbox --host 127.0.0.1 --port "$sandbox_port" --state "$DIR/sandbox.sqlite" \
    --admin-token "$token" ${PERPDESK_CLUSTER_SANDBOX_ARGS:-} >"$DIR/logs/sandbox.log" 2>&1 &
  echo "SANDBOX_PID=$!" >>"$DIR/cluster.env"
  { echo "SANDBOX_URL=http://127.0.0.1:$sandbox_port"; echo "SANDBOX_ADMIN_TOKEN=$token"; } >>"$DIR/cluster.env"
  wait_up sandbox "http://127.0.0.1:$sandbox_port/system/time" "$!"

  # every process shares the database, the master key, the session secret and the key-hash secret
  export PERPDESK_DATABASE_URL="$PERPDESK_TEST_PG_URL" PERPDESK_DATA_DIR="$DIR/data"
  export PERPDESK_MASTER_KEY_FILE="$DIR/data/master.key" PERPDESK_HOST=127.0.0.1
  export PERPDESK_BITMART_API_URL="http://127.0.0.1:$sandbox_port" PERPDESK_BITMART_WEB_URL="http://127.0.0.1:$sandbox_port"
  export PERPDESK_BITMART_WS_URL="ws://127.0.0.1:$sandbox_port/user?protocol=1.1"
  local v  # what add-worker and restart start processes with
  for v in ${!PERPDESK_@}; do printf 'export %s=%q\n' "$v" "${!v}"; done >"$DIR/process.env"
  python - <<'EOF'  # migrate once and write the shared secrets before several processes start
import asyncio, os
from pathlib import Path
from perpdesk.bootstrap import running
from perpdesk.settings import load_settings
from perpdesk.vault import ensure_keyring_file

ensure_keyring_file(Path(os.environ["PERPDESK_MASTER_KEY_FILE"]))
async def main() -> None:
    async with running(load_settings()):
        pass
asyncio.run(main())
EOF
  local i started=()  # all at once, then wait for each: start-up is mostly imports
  for i in $(seq 1 "$workers"); do launch "worker$i" "$(free_port)"; started+=("$LAUNCHED"); done
  for i in 1 2; do launch "web$i" "$(free_port)"; started+=("$LAUNCHED"); done
  for i in "${started[@]}"; do
    # shellcheck disable=SC2086
    wait_up $i
  done
  set_env WORKERS "$workers"
  cat "$DIR/cluster.env" | grep -E "_URL=|WORKERS="
}

running_cluster() {  # the environment of the cluster's processes
  [ -e "$DIR/cluster.env" ] || { echo "no cluster in $DIR: scripts/cluster.sh start" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$DIR/cluster.env"; source "$DIR/process.env"
}

add_worker() {
  running_cluster
  local n=$((WORKERS + 1))
  launch "worker$n" "$(free_port)"
  # shellcheck disable=SC2086
  wait_up $LAUNCHED
  set_env WORKERS "$n"
  grep "^WORKER${n}_URL=" "$DIR/cluster.env"
}

restart() {  # name [--kill]
  running_cluster
  local name="$1" pid_var url_var
  pid_var="${name^^}_PID"; url_var="${name^^}_URL"
  [ -n "${!url_var:-}" ] || { echo "no process $name in $DIR/cluster.env" >&2; exit 2; }
  local pid="${!pid_var}" port="${!url_var##*:}"
  if [ "${2:-}" = "--kill" ]; then kill -9 "$pid" 2>/dev/null || true; else kill "$pid" 2>/dev/null || true; fi
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  launch "$name" "$port"
  # shellcheck disable=SC2086
  wait_up $LAUNCHED
  grep "^$url_var=" "$DIR/cluster.env"
}

stop() {
  [ -e "$DIR/cluster.env" ] || { echo "no cluster in $DIR"; return 0; }
  # shellcheck disable=SC1091
  source "$DIR/cluster.env"
  local name pid
  for name in $(grep -oE "^[A-Z0-9]+_PID" "$DIR/cluster.env"); do
    pid="${!name}"
    kill "$pid" 2>/dev/null || true
  done
  for name in $(grep -oE "^[A-Z0-9]+_PID" "$DIR/cluster.env"); do
    pid="${!name}"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PG_RUN=()
  [ "$(id -u)" != "0" ] || PG_RUN=(runuser -u postgres --)
  pg_stop
  rm -f "$DIR/cluster.env"
  echo "stopped"
}

case "${1:-}" in
  start) start "${2:-2}" ;;
  add-worker) add_worker ;;
  restart) [ -n "${2:-}" ] || { echo "usage: scripts/cluster.sh restart NAME [--kill]" >&2; exit 2; }
    restart "$2" "${3:-}" ;;
  stop) stop ;;
  *) echo "usage: scripts/cluster.sh start [N workers] | add-worker | restart NAME [--kill] | stop" >&2
    exit 2 ;;
esac
