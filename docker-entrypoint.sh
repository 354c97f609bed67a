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

echo "Starting Mana Core Auth..."
exec uvicorn main:app \
    --host "${HOST:-0.0.0.0}" \
    --port "${PORT:-3001}" \
    --workers "${WEB_CONCURRENCY:-$(nproc)}" \
    --proxy-headers \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
    --log-level "${LOG_LEVEL:-info}" \
    --no-server-header \
    "$@"
