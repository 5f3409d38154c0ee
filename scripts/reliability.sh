#!/usr/bin/env bash
# The reliability suites at full size (tests/reliability/, RELIABILITY.md), printing their figures:
# 10,000 orders under 10% faulted answers and kill -9 during writes, each on BitMart and on Binance
# (one sandbox serving both dialects), a minute-long exchange outage. Binance's 10,000 orders are
# the long part (~40 min on the shared 2-core box: a 429 stops the whole connector, per IP).
# SQLite only (the regular suite runs them scaled down on SQLite and PostgreSQL). Extra arguments
# go to pytest (e.g. -k binance: one exchange); sizes can be overridden, e.g.
# PERPDESK_RELIABILITY_ORDERS=2000.
source "$(dirname "$0")/_env.sh"
export PERPDESK_RELIABILITY_FULL=1
exec timeout 5400 python -m pytest tests/reliability -k "not postgresql" -s -q -p no:cacheprovider --timeout 3000 "$@"
