"""Idle CPU of `perpdesk sandbox`: no client, only the price clock ticking every listed contract.

    .venv/bin/python bench/bench_sandbox_idle.py [--seconds 30] [--state file|memory]

Starts the sandbox as a person would (a state file by default, so every tick is also saved),
waits until it answers, lets it warm up for 3 s, then reads its CPU time (user + system, from
/proc) over `--seconds`. Prints the symbols listed, CPU seconds and the share of one core.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of the process and its threads (SQLite writes run in a thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--state", choices=("file", "memory"), default="file")
    args = ap.parse_args()
    port = _port()
    with tempfile.TemporaryDirectory() as tmp:
        state = str(Path(tmp) / "sandbox.db") if args.state == "file" else ":memory:"
        cmd = [sys.executable, "-m", "perpdesk", "sandbox", "--port", str(port), "--state", state,
               "--admin-token", "bench-idle-token-0123456789"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"the sandbox exited with {proc.returncode}")
                try:
                    details = httpx.get(f"{base}/contract/public/details", timeout=1).json()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the sandbox did not answer within 60 s") from None
                    time.sleep(0.2)
            symbols = len(details["data"]["symbols"])
            time.sleep(3)
            before = _cpu_s(proc.pid)
            time.sleep(args.seconds)
            used = _cpu_s(proc.pid) - before
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"sandbox idle ({args.state} state, {symbols} symbols): {used:.2f} CPU s over "
          f"{args.seconds:.0f} s = {100 * used / args.seconds:.1f}% of one core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
