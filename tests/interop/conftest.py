"""The interop suite: the Python backends and the published Mastra TS packages on one real database.

Each test gets a fresh namespace on a real service (a pg schema, a libSQL file, a MongoDB database) and
two handles on it: ``py`` (a Python storage) and ``ref`` (the reference package, driven through
``interop/driver.mjs`` on node 22). ``interop/setup.sh`` installs node and the packages (the nox session
``interop`` runs it); ``MASTRA_INTEROP_NODE``/``MASTRA_INTEROP_PACKAGES`` say where they are. Missing
services or packages are errors, never skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from mastra_core import Storage, create_storage

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "interop" / "driver.mjs"
BACKENDS = ("pg", "libsql", "libsql-sqld", "mongodb")
#: libsql-sqld is opt-in: sqld runs without namespaces and the reference has no table prefix, so the
#: suite must own the server's unprefixed mastra_* tables (fine on a server of its own, not on a shared one).
#: Not a shared database: the layouts of @mastra/dynamodb and @mastra/upstash, copied by `mastra copy mastra-ts+...`
#: (test_ref_layouts.py; DynamoDB Local and the Upstash REST stand-in).
LAYOUTS = ("mastra-ts",)
DEFAULT_BACKENDS = ("pg", "libsql", "mongodb", "mastra-ts")
#: Every collection either side may create (jongodb cannot list them).
MONGO_COLLECTIONS = (
    "mastra_threads",
    "mastra_messages",
    "mastra_resources",
    "mastra_workflow_snapshot",
    "mastra_scorers",
    "mastra_ai_spans",
    "mastra_agents",
    "mastra_evals",
    "mastra_traces",
    "mastra_schema_version",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--interop-backend",
        action="append",
        default=[],
        choices=BACKENDS + LAYOUTS,
        help="run the interop suite on this backend (repeatable; default: pg, libsql, mongodb, mastra-ts)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "side" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--interop-backend") or list(DEFAULT_BACKENDS)
        metafunc.parametrize("side", [b for b in BACKENDS if b in chosen], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = config.getoption("--interop-backend") or list(DEFAULT_BACKENDS)
    keep, drop = [], []
    for item in items:
        mark = item.get_closest_marker("interop_backend")
        (drop if mark is not None and mark.args[0] not in chosen else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "interop_backend(name): a test of one backend's reference package only")


def _env(name: str, hint: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: {hint} (`nox -s interop` does this for you)")
    return value


class RefError(RuntimeError):
    """An operation the reference package refused or failed."""


def tag(value: Any) -> Any:
    """Python values as the driver's JSON: datetimes as ``{"$date": iso}``."""
    if isinstance(value, datetime):
        return {"$date": value.isoformat().replace("+00:00", "Z")}
    if isinstance(value, dict):
        return {k: tag(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [tag(v) for v in value]
    return value


class Ref:
    """The reference store on the test's namespace; every :meth:`run` is one node process."""

    def __init__(self, backend: str, config: dict[str, Any]) -> None:
        self.backend = backend
        self.config = config

    def run(self, *ops: tuple[str | None, str, list[Any]], init: bool = True) -> list[dict[str, Any]]:
        """Run ``(domain, method, args)`` ops in one process; returns each op's ``{"ok", "value"|"error"}``."""
        node = _env("MASTRA_INTEROP_NODE", "run `bash interop/setup.sh` and export what it prints")
        packages = _env("MASTRA_INTEROP_PACKAGES", "run `bash interop/setup.sh` and export what it prints")
        request = {
            "backend": self.backend,
            "config": self.config,
            "init": init,
            "ops": [{"domain": d, "method": m, "args": tag(a)} for d, m, a in ops],
        }
        proc = subprocess.run(
            [node, str(DRIVER)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "MASTRA_INTEROP_PACKAGES": packages},
        )
        try:
            out = json.loads(proc.stdout)
        except ValueError:
            raise RefError(
                f"driver failed (rc {proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-4000:]}"
            ) from None
        if "fatal" in out:
            raise RefError(out["fatal"])
        return list(out["results"])

    def call(self, domain: str | None, method: str, *args: Any, init: bool = True) -> Any:
        """One op; its value, or :class:`RefError`."""
        (result,) = self.run((domain, method, list(args)), init=init)
        if not result["ok"]:
            raise RefError(result["error"])
        return result["value"]

    def values(self, *ops: tuple[str | None, str, list[Any]], init: bool = True) -> list[Any]:
        """Several ops in one process; their values (the first failure raises)."""
        results = self.run(*ops, init=init)
        for (d, m, _), res in zip(ops, results, strict=True):
            if not res["ok"]:
                raise RefError(f"{d}.{m}: {res['error']}")
        return [res["value"] for res in results]


class Side:
    """One backend's pair of handles on a fresh namespace, and raw access to what is stored."""

    def __init__(self, backend: str, ns: str, tmp: Path) -> None:
        self.backend = backend
        self.ns = ns
        self.made: list[Storage] = []
        if backend == "pg":
            self.url = _env("MASTRA_TEST_PG_URL", "run `bash scripts/services/start.sh postgres`")
            self.py_config: dict[str, Any] = {
                "connection_string": self.url,
                "schema_name": ns,
                "min_pool_size": 1,
                "max_pool_size": 4,
            }
            self.ref = Ref("pg", {"id": ns, "connectionString": self.url, "schemaName": ns})
        elif backend == "libsql":
            self.path = str(tmp / f"{ns}.db")
            self.py_config = {"url": f"file:{self.path}"}
            self.ref = Ref("libsql", {"id": ns, "url": f"file:{self.path}"})
        elif backend == "libsql-sqld":
            # sqld runs without namespaces and the reference has no table prefix: the tests own the
            # unprefixed mastra_* tables of the server (the conformance suite only uses prefixed ones)
            self.path = _env("MASTRA_TEST_SQLD_URL", "run `bash scripts/services/start.sh sqld`")
            token = os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN") or None
            self.py_config = {"url": self.path, **({"auth_token": token} if token else {})}
            self.ref = Ref("libsql", {"id": ns, "url": self.path, **({"authToken": token} if token else {})})
        else:
            self.url = _env("MASTRA_TEST_MONGODB_URI", "run `bash scripts/services/start.sh jongodb`")
            self.py_config = {"uri": self.url, "db_name": ns, "options": {"server_selection_timeout_ms": 5000}}
            self.ref = Ref("mongodb", {"id": ns, "url": self.url, "dbName": ns})

    async def py(self, *, init: bool = True) -> Storage:
        """A Python storage on the namespace (closed after the test)."""
        storage = create_storage(self.backend.split("-")[0], id=f"interop-{self.ns}", **self.py_config)
        self.made.append(storage)
        if init:
            await storage.init()
        return storage

    async def cleanup(self) -> None:
        """Close the Python storages and drop the namespace."""
        for s in self.made:
            await s.close()
        if self.backend == "pg":
            import psycopg
            from psycopg import sql

            async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.ns)))
        elif self.backend == "libsql-sqld":
            self.drop_sqld_tables()
        elif self.backend == "mongodb":
            from pymongo import AsyncMongoClient

            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.url, serverSelectionTimeoutMS=5000)
            try:
                db = client[self.ns]
                for name in MONGO_COLLECTIONS:  # jongodb has neither dropDatabase nor listCollections
                    await db[name].delete_many({})
            finally:
                await client.close()

    # ---------------------------------------------------------------- raw access (schema, legacy rows)

    async def schema(self) -> dict[str, dict[str, str]]:
        """Table -> {column: declared type} (pg, libsql); collection -> {index name: key spec} (mongodb)."""
        if self.backend == "pg":
            import psycopg

            async with await psycopg.AsyncConnection.connect(self.url) as conn:
                cur = await conn.execute(
                    "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                    "WHERE table_schema = %s",
                    (self.ns,),
                )
                out: dict[str, dict[str, str]] = {}
                for t, c, dt, nullable in await cur.fetchall():
                    out.setdefault(t, {})[c] = f"{dt} {'NULL' if nullable == 'YES' else 'NOT NULL'}"
                cur = await conn.execute(
                    "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s", (self.ns,)
                )
                for t, i in await cur.fetchall():
                    out.setdefault(f"{t}:indexes", {})[i] = "index"
                return out
        if self.backend.startswith("libsql"):
            conn = _libsql_connect(self.path)
            try:
                out = {}
                tables = [
                    r[0]
                    for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                    if r[0] in SQLD_TABLES
                ]  # a sqld server also holds the conformance suite's tables
                for t in tables:
                    for _, c, ty, nn, _, _ in conn.execute(f'PRAGMA table_info("{t}")').fetchall():
                        out.setdefault(t, {})[c] = f"{ty} {'NOT NULL' if nn else 'NULL'}"
                for name, t in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").fetchall():
                    if t in SQLD_TABLES:
                        out.setdefault(f"{t}:indexes", {})[name] = "index"
                return out
            finally:
                conn.close()
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.url, serverSelectionTimeoutMS=5000)
        try:
            db = client[self.ns]
            out = {}
            for name in MONGO_COLLECTIONS:
                async for spec in await db[name].list_indexes():
                    out.setdefault(f"{name}:indexes", {})[spec["name"]] = json.dumps(dict(spec["key"]), sort_keys=True)
            return out
        finally:
            await client.close()

    async def insert_raw(self, table: str, row: dict[str, Any]) -> None:
        """Insert a row/document as an older writer left it (no validation, no codec)."""
        if self.backend == "pg":
            import psycopg
            from psycopg import sql

            q = sql.SQL("INSERT INTO {}.{} ({}) VALUES ({})").format(
                sql.Identifier(self.ns),
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, row)),
                sql.SQL(", ").join(sql.Placeholder() * len(row)),
            )
            async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                await conn.execute(q, list(row.values()))
        elif self.backend.startswith("libsql"):
            conn = _libsql_connect(self.path)
            try:
                cols = ", ".join(f'"{c}"' for c in row)
                conn.execute(
                    f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(row))})',
                    [v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v for v in row.values()],
                )
            finally:
                conn.close()
        else:
            from pymongo import AsyncMongoClient

            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.url, serverSelectionTimeoutMS=5000)
            try:
                await client[self.ns][table].insert_one(dict(row))
            finally:
                await client.close()

    def drop_sqld_tables(self) -> None:
        """Drop every unprefixed table either side makes on the sqld server (indexes and triggers go along)."""
        conn = _libsql_connect(self.path)
        try:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
            for name in names:
                if name in SQLD_TABLES:
                    conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        finally:
            conn.close()


#: The unprefixed tables either side makes on a libSQL database.
SQLD_TABLES = frozenset({*MONGO_COLLECTIONS, "mastra_message_counts"})


def _libsql_connect(target: str) -> Any:
    """A raw connection through the same SQLite library as the backend: a second SQLite library in one
    process (the stdlib's) would drop the backend's file locks when it closes, hiding other writers."""
    import libsql

    kwargs: dict[str, Any] = {"isolation_level": None}
    token = os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN")
    if target.startswith("http") and token:
        kwargs["auth_token"] = token
    return libsql.connect(target, **kwargs)


@pytest.fixture
async def side(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Side]:
    """Both sides on a fresh namespace of one backend's real service."""
    # pg: a short schema name, since the reference's own re-init fails on long ones (test_schema.py)
    s = Side(request.param, f"ip{uuid.uuid4().hex[:10]}", tmp_path)
    if s.backend == "libsql-sqld":
        s.drop_sqld_tables()  # left over by an interrupted run
    try:
        yield s
    finally:
        await s.cleanup()
