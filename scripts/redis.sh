# Throw-away Redis (and NATS, for bench/bench_bus.py) on loopback, each in a temp dir on a random port.
# redis_start exports PERPDESK_BENCH_REDIS_URL; nats_start exports PERPDESK_BENCH_NATS_URL.
# Debian's packages are installed on first use when missing (apt-get, as root).
_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
_apt_install() {  # $1 = command, $2 = Debian package
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] && return 0
  [ "$(id -u)" = "0" ] || { echo "$1 missing: apt-get install $2 (as root)" >&2; return 1; }
  apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; }
}
_wait_port() {  # $1 = port: until it accepts (5 s at most)
  python3 - "$1" <<'PY'
import socket, sys, time
end = time.monotonic() + 5
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close(); break
    except OSError:
        if time.monotonic() > end: sys.exit(f"nothing listens on {sys.argv[1]}")
        time.sleep(0.05)
PY
}
redis_start() {
  _apt_install redis-server redis-server || return 1
  REDIS_DIR="$(mktemp -d /tmp/perpdesk-redis.XXXXXX)"
  REDIS_PORT="$(_free_port)"
  # no persistence: a bench broker, like the test PostgreSQL's fsync=off
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --save "" --appendonly no \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/log" --protected-mode yes
  _wait_port "$REDIS_PORT" || return 1
  export PERPDESK_BENCH_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  echo "Redis on 127.0.0.1:$REDIS_PORT"
}
redis_stop() {
  [ -n "${REDIS_DIR:-}" ] || return 0
  [ -f "$REDIS_DIR/redis.pid" ] && kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
  rm -rf "$REDIS_DIR"
}
nats_start() {
  _apt_install nats-server nats-server || return 1
  NATS_DIR="$(mktemp -d /tmp/perpdesk-nats.XXXXXX)"
  NATS_PORT="$(_free_port)"
  PATH="$PATH:/usr/sbin" nats-server -a 127.0.0.1 -p "$NATS_PORT" -P "$NATS_DIR/nats.pid" -l "$NATS_DIR/log" &
  _wait_port "$NATS_PORT" || return 1
  export PERPDESK_BENCH_NATS_URL="nats://127.0.0.1:$NATS_PORT"
  echo "NATS on 127.0.0.1:$NATS_PORT"
}
nats_stop() {
  [ -n "${NATS_DIR:-}" ] || return 0
  [ -f "$NATS_DIR/nats.pid" ] && kill "$(cat "$NATS_DIR/nats.pid")" 2>/dev/null || true
  rm -rf "$NATS_DIR"
}
