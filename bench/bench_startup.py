"""Platform start-up: `import perpdesk.web.app` and `perpdesk serve` until /api/health answers.

    .venv/bin/python bench/bench_startup.py [--rounds 3]

Each figure is compared against a floor measured in the same run, interleaved round by round so the
machine's load hits both alike (medians are compared):
- import floor: `import fastapi, sqlalchemy.ext.asyncio, sqlalchemy.orm, jinja2, pydantic_settings`,
  the libraries the app cannot start without;
- serve floor: a bare uvicorn + FastAPI app answering /api/health, started the same way.
Prints seconds and the ratios; imports are what `perpdesk serve` spends its start on.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FLOOR_IMPORTS = "import fastapi, sqlalchemy.ext.asyncio, sqlalchemy.orm, jinja2, pydantic_settings"
FLOOR_APP = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/api/health")
def health(): return {"ok": True}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _time_import(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - t


def _time_until_healthy(cmd: list[str], port: int, env: dict[str, str]) -> float:
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{cmd[2:]} exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=0.5).status_code == 200:
                    return time.perf_counter() - t
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PERPDESK_")}
    figures: dict[str, list[float]] = {"import floor": [], "import app": [], "serve floor": [], "serve": []}
    for _ in range(args.rounds):
        figures["import floor"].append(_time_import(FLOOR_IMPORTS))
        figures["import app"].append(_time_import("import perpdesk.web.app"))
        port = _port()
        floor_cmd = [sys.executable, "-c", FLOOR_APP, str(port)]
        figures["serve floor"].append(_time_until_healthy(floor_cmd, port, base_env))
        data = tempfile.mkdtemp(prefix="perpdesk-bench-")
        try:
            port = _port()
            env = base_env | {
                "PERPDESK_DATA_DIR": data,
                "PERPDESK_PORT": str(port),
                "PERPDESK_HOST": "127.0.0.1",
                "PERPDESK_MASTER_KEY_FILE": os.path.join(data, "master.key"),
            }
            cmd = [sys.executable, "-m", "perpdesk", "serve", "--init-master-key"]
            _time_until_healthy(cmd, port, env)  # first start: key, secrets, migrations
            figures["serve"].append(_time_until_healthy(cmd, port, env))  # a restart: the usual case
        finally:
            shutil.rmtree(data, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in figures.items()}
    for k, v in figures.items():
        print(f"{k:13} median {med[k]:.2f}s  (runs: {', '.join(f'{x:.2f}' for x in v)})")
    print(f"import app / floor: {med['import app'] / med['import floor']:.2f}x")
    print(f"serve / floor:      {med['serve'] / med['serve floor']:.2f}x")


if __name__ == "__main__":
    main()
