#!/bin/sh
# Apply pending migrations (under an advisory lock), then replace this shell
# with uvicorn. Extra arguments are passed on to uvicorn.
set -e

echo "Running database migrations..."
python -m mana_core_auth.migrations
echo "Migrations complete"

# A fresh directory per start for the workers' metric files, so /metrics
# adds up every worker (prometheus_client's multiprocess mode).
PROMETHEUS_MULTIPROC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mana-metrics.XXXXXX")"
export PROMETHEUS_MULTIPROC_DIR
# With `--http h11` uvicorn stops buffering a request head at this size; the
# app answers 431 past MAX_HEADER_BYTES (the 8 KiB more leave room for the
# request line; 0, no limit in the app, still bounds h11 at 16 KiB + 8 KiB).
# mana_core_auth/header_limit.py says why.
header_limit=${MAX_HEADER_BYTES:-16384}
[ "$header_limit" -gt 0 ] || header_limit=16384
header_allowance=$(( header_limit + 8192 ))

# The workers read how many they are (password hashing shares the cores).
WEB_CONCURRENCY=${WEB_CONCURRENCY:-$(nproc)}
export WEB_CONCURRENCY

echo "Starting Mana Core Auth..."
exec uvicorn main:app \
    --host "${HOST:-0.0.0.0}" \
    --port "${PORT:-3001}" \
    --workers "$WEB_CONCURRENCY" \
    --proxy-headers \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
    --log-level "${LOG_LEVEL:-info}" \
    --no-server-header \
    --h11-max-incomplete-event-size "$header_allowance" \
    "$@"
