# syntax=docker/dockerfile:1
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python3 -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
# A build behind a TLS-intercepting proxy passes its CA bundle as a secret
# (`--secret id=ca,src=...`); it is mounted for this step only.
RUN --mount=type=secret,id=ca,required=false \
    if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && /opt/venv/bin/pip install -r /tmp/requirements.lock \
    && /opt/venv/bin/python -m pip uninstall --yes pip setuptools


FROM ${BASE_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    PORT=3001

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
# The app's bytecode, compiled once here: with PYTHONDONTWRITEBYTECODE (and
# /app not the app user's to write) every worker compiled every module at
# every start, ~50 ms each.
RUN python -m compileall -q /app

USER app:app
EXPOSE 3001

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '3001'), timeout=4)"]

ENTRYPOINT ["/app/docker-entrypoint.sh"]
