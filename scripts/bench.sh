#!/usr/bin/env bash
# Runs the benchmarks in bench/; each prints its figures and its ratio to a floor measured in the same run.
source "$(dirname "$0")/_env.sh"
for b in bench/bench_*.py; do
  echo "== $b"
  python "$b"
done
