"""The service's Prometheus metrics, summed over every uvicorn worker.

With `PROMETHEUS_MULTIPROC_DIR` set when this module is first imported (the
serve command and the container's entrypoint make a fresh directory per
start, before the workers exist), prometheus_client keeps each worker's
values in files there and `/metrics` adds them up, whichever worker answers
the scrape. Without it, the values of this one process are served.

Service code counts with one call at the point where a thing happens
(`counts_outcome` on login and refresh, `credits_spent`, `rate_limited`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    values,
)
from prometheus_client.exposition import choose_encoder

from mana_core_auth.errors import AppError, TooManyRequests

# Where the workers' files are, if prometheus_client keeps its values in
# files (it decided when it was first imported).
MULTIPROCESS_DIR = (
    None
    if values.ValueClass is values.MutexValue
    else os.environ.get("PROMETHEUS_MULTIPROC_DIR")
)
# The route label of a request that matched no route: never the raw path,
# which anyone can vary without end.
UNMATCHED_ROUTE = "unmatched"

HTTP_REQUESTS = Counter(
    "mana_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "mana_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOGINS = Counter(
    "mana_logins",
    "Password logins and two-factor completions, by outcome",
    ["outcome"],
)
REFRESHES = Counter(
    "mana_refreshes", "Refresh-token exchanges, by outcome", ["outcome"]
)
CREDITS_SPENT = Counter(
    "mana_credits_spent", "Credits spent (usage ledger rows), by app", ["app_id"]
)
CREDITS_PURCHASED = Counter("mana_credits_purchased", "Credits bought")
RATE_LIMITED = Counter(
    "mana_rate_limited", "Attempts refused by an abuse limit, by limit", ["limit"]
)
DB_POOL_CONNECTIONS = Gauge(
    "mana_db_pool_connections",
    "Database pool connections of the live workers: idle, in_use, max",
    ["state"],
    multiprocess_mode="livesum",
)

P = ParamSpec("P")
R = TypeVar("R")


def _error_outcome(error: Exception) -> str:
    if isinstance(error, TooManyRequests):
        return "rate_limited"
    if isinstance(error, AppError):
        return error.code.lower()
    return "error"


def counts_outcome(
    counter: Counter, success: str | Callable[[Any], str] = "success"
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Count each call of the decorated coroutine under its outcome: `success`
    (or what it says for the result), the error code of an `AppError` in
    lower case, `rate_limited`, or `error` for anything else."""

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(function)
        async def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                result = await function(*args, **kwargs)
            except Exception as error:
                counter.labels(_error_outcome(error)).inc()
                raise
            counter.labels(success(result) if callable(success) else success).inc()
            return result

        return counted

    return decorate


def login_outcome(result: object) -> str:
    """`log_in` answers a session, or a two-factor challenge to complete."""
    if type(result).__name__ == "TwoFactorRequired":
        return "two_factor_required"
    return "success"


_LABEL_TEXT = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class BoundedLabel:
    """Label values taken from requests, kept to a bounded set: the first
    `limit` well-formed values seen by this process, then `other`. An app id
    is whatever a caller sends; unbounded, it would grow the metrics (and
    every scrape) without end."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self.seen:
            return value
        if len(self.seen) < self.limit and _LABEL_TEXT.fullmatch(value):
            self.seen.add(value)
            return value
        return "other"


_app_label = BoundedLabel(limit=50)


def credits_spent(app_id: str, amount: int) -> None:
    CREDITS_SPENT.labels(_app_label(app_id)).inc(amount)


def credits_purchased(amount: int) -> None:
    CREDITS_PURCHASED.inc(amount)


def limit_name(key: str) -> str:
    """`login:account:<digest>` → `login:account`: the kind of limit, never
    the address or digest it counts."""
    return ":".join(key.split(":", 2)[:2])


def rate_limited(keys: Iterable[str]) -> None:
    for key in keys:
        RATE_LIMITED.labels(limit_name(key)).inc()


# A request's two series, found once per (method, route, status): looking a
# labelled child up takes a lock and builds its key on every call. Routes
# are templates and methods and statuses few, so the map stays small.
@functools.lru_cache(maxsize=4096)
def _request_series(method: str, route: str, status: int) -> tuple[Any, Any]:
    return (
        HTTP_REQUESTS.labels(method, route, str(status)),
        HTTP_REQUEST_DURATION.labels(method, route),
    )


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    count, duration = _request_series(method, route, status)
    count.inc()
    duration.observe(seconds)


def sample_pool(pool: Any) -> None:
    """This worker's share of `mana_db_pool_connections` (an asyncpg pool)."""
    if pool is None:
        return
    size, idle = pool.get_size(), pool.get_idle_size()
    DB_POOL_CONNECTIONS.labels("idle").set(idle)
    DB_POOL_CONNECTIONS.labels("in_use").set(size - idle)
    DB_POOL_CONNECTIONS.labels("max").set(pool.get_max_size())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w*?_(\d+)\.db")


def forget_dead_workers() -> None:
    """Drop the live gauges of workers that are gone (crashed or replaced
    without running their shutdown), so pool figures add up live workers
    only. Counters of dead workers stay: they are totals."""
    if MULTIPROCESS_DIR is None:
        return
    pids = {
        int(match.group(1))
        for path in Path(MULTIPROCESS_DIR).glob("gauge_live*.db")
        if (match := _LIVE_GAUGE_FILE.fullmatch(path.name))
    }
    for pid in pids:
        if not _pid_alive(pid):
            multiprocess.mark_process_dead(pid, MULTIPROCESS_DIR)


def worker_exiting() -> None:
    """Called at shutdown: this worker's live gauges stop counting."""
    if MULTIPROCESS_DIR is not None:
        multiprocess.mark_process_dead(os.getpid(), MULTIPROCESS_DIR)


def render(accept: str) -> tuple[bytes, str]:
    """Every metric, all workers added up, in the format the scraper asks
    for (`Accept`; Prometheus' text format 0.0.4 by default), and its
    content type."""
    encode, content_type = choose_encoder(accept)
    if MULTIPROCESS_DIR is None:
        return encode(REGISTRY), content_type
    forget_dead_workers()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
    return encode(registry), content_type
