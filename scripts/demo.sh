#!/usr/bin/env bash
# Runs the demo: the platform and the BitMart Futures sandbox, SQLite, no configuration.
PERPDESK_UV_SYNC_ARGS="--no-dev --inexact" source "$(dirname "$0")/_env.sh"
exec perpdesk demo "$@"
