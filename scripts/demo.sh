#!/usr/bin/env bash
# Runs the demo: the platform and the BitMart Futures sandbox, SQLite, no configuration.
source "$(dirname "$0")/_env.sh" --no-dev --inexact
exec perpdesk demo "$@"
