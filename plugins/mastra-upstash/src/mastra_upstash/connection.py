"""``UpstashConnection``: the transport, the Lua scripts and the read/write helpers of one store.

Every Redis command of the backend goes through this class: script calls (one JSON spec argument),
point reads (HMGET pipelines), the optimistic read-modify-write loop and the admin SCAN of
``dangerously_clear_all``. It sends them through a transport (``transport.py``): the Redis protocol
(redis-py) or Upstash's REST API (httpx), with the same scripts, keys and requests per operation. Both
retry after a connection error or timeout (with jittered backoff); an invalid URL becomes a
``ConfigError``, and any other driver error is turned into a ``StorageError`` by the domain base class.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from mastra_core.clock import epoch_ms, utc_now
from mastra_core.connect import connection_error
from mastra_core.errors import StorageError
from mastra_core.retention import Retention

from . import lua
from .codec import Rec, Row, ms
from .config import UpstashConfig
from .schema import Keys
from .transport import RedisTransport, RestTransport, make_transport

T = TypeVar("T")
#: Optimistic read-modify-writes retry this many times on a version conflict before giving up.
MAX_RETRIES = 200
#: Name -> source of every script, registered on the client when the connection opens.
SCRIPTS = {"upsert": lua.UPSERT, "delete": lua.DELETE, "page": lua.PAGE, "messages": lua.MESSAGES,
           "intersect": lua.INTERSECT, "prune": lua.PRUNE}


class ConflictError(Exception):
    """An optimistic write lost the race too many times."""


class UpstashConnection:
    """The transport, script calls and key names shared by every domain of one store.

    Built without I/O from the store's config; :meth:`open` makes the transport's client: redis-py's pool
    (or the caller's client, which :meth:`close` then leaves open) or the REST API's HTTP client.
    """

    def __init__(self, config: UpstashConfig) -> None:
        """Keep the config, pick the transport and derive the key names; nothing connects here."""
        self.config = config
        self.keys = Keys(config.prefix)
        self.transport: RedisTransport | RestTransport = make_transport(config, SCRIPTS)

    @property
    def client(self) -> Any:
        """The redis-py client of the Redis transport (None before open, or on REST)."""
        return self.transport.client if isinstance(self.transport, RedisTransport) else None

    # --- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        """Make the transport's client and PING once, so a server that is down, or refuses the password or token,
        fails ``init()`` rather than a later call."""
        await self.transport.open()
        await self._ping()

    def target(self) -> str:
        """Where this store connects, for messages (secrets masked)."""
        if self.config.url is None:
            return "the caller's client"
        parts = urlsplit(self.config.url)
        return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"

    async def _ping(self) -> None:
        try:
            await asyncio.wait_for(self.transport.call("PING"), timeout=self.config.connect_timeout + 1)
        except StorageError:
            await self.transport.close()
            raise
        except Exception as exc:  # the driver's own error (refused, auth, TLS, timeout) is the root cause shown
            await self.transport.close()
            raise connection_error("Redis", self.target(), exc, token="UPSTASH",
                                   timeout=self.config.connect_timeout) from exc

    async def close(self) -> None:
        """Close the transport's client if the store made it."""
        await self.transport.close()

    # --- scripts -----------------------------------------------------------------------

    async def run(self, name: str, spec: dict[str, Any]) -> Any:
        """Run one script with its JSON spec: one request (EVALSHA; the transport sends the script on NOSCRIPT)."""
        spec.setdefault("now", ms(utc_now()))
        payload = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        return await self.transport.script(name, [payload])

    def purge_keys(self, retention: Retention, *entities: str) -> list[str]:
        """Expiry zsets to purge before counting an index: only those of entities with an active TTL."""
        return [self.keys.exp(e) for e in entities if retention.rule(e) is not None]

    async def prune_expired(self, now: datetime, *entities: str) -> int:
        """Clean up the records of ``entities`` expired at ``now`` (one script); how many."""
        return int(await self.run("prune", {"now": ms(now), "xz": [self.keys.exp(e) for e in entities]}))

    async def count_expired(self, now: datetime, *entities: str) -> int:
        """How many records of ``entities`` :meth:`prune_expired` would clean up at ``now``."""
        return sum([int(await self.transport.call("ZCOUNT", self.keys.exp(e), "-inf", str(ms(now))))
                    for e in entities])

    def _rec_spec(self, rec: Rec, entity: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"k": rec.key, "id": rec.id, "f": rec.fields, "ix": [list(e) for e in rec.ix]}
        if rec.expires_at is not None:
            spec["ex"] = ms(rec.expires_at)
            spec["xz"] = self.keys.exp(entity)
        if rec.expect is not None:
            spec["ev"] = rec.expect
        if rec.insert_only:
            spec["nx"] = 1
        if rec.update_only:
            spec["xx"] = 1
        if rec.merge is not None:
            spec["mg"] = rec.merge
        rm = [f for f in rec.optional if f not in rec.fields]
        if rm:
            spec["rm"] = rm
        return spec

    async def upsert(self, entity: str, recs: Sequence[Rec], *, bump: Sequence[str] = (),
                     purge: Sequence[str] = ()) -> list[Any]:
        """One atomic script call; returns ['OK', c, s, v, ...], ['CONFLICT', i], ['EXISTS', i], ['MISSING', i] or
        ['SHAPE', i] (a merged record's ``c, s, v`` are followed by its stored ``j`` and ``u``).

        Compare-and-set, insert-only and merge writes carry a fresh write token, so redis-py's retry of a call
        whose reply was lost is answered OK instead of being applied twice (or reported as a conflict).
        """
        spec: dict[str, Any] = {"seq": self.keys.seq, "recs": [self._rec_spec(rec, entity) for rec in recs]}
        if any(rec.expect is not None or rec.insert_only or rec.merge is not None for rec in recs):
            spec["wt"] = uuid.uuid4().hex
        if bump:
            spec["bump"] = list(dict.fromkeys(bump))
        if purge:
            spec["purge"] = list(purge)
        result: list[Any] = await self.run("upsert", spec)
        return result

    async def delete(self, *, keys: Sequence[str] = (), cascade: Sequence[tuple[str, str]] = (),
                     bump_field: str | None = None, purge: Sequence[str] = ()) -> int:
        """Delete records and their index entries in one script; ``cascade`` (zset, record prefix) pairs
        delete every record of an index too; ``bump_field`` names the field whose key gets updated_at bumped."""
        spec: dict[str, Any] = {"keys": list(keys), "cascade": [list(c) for c in cascade], "purge": list(purge)}
        if bump_field:
            spec["bf"] = bump_field
        return int(await self.run("delete", spec))

    async def page(
        self, *, z: str, rk: str, fields: Sequence[str], rev: bool = False, lo: str = "-inf", hi: str = "+inf",
        offset: int = 0, limit: int | None = None, filters: Sequence[tuple[str, str]] = (), purge: Sequence[str] = (),
    ) -> tuple[int, list[Row]]:
        """A page of an index (``limit`` None = all), filtered by hash-field equality; ``fields[0]`` must be 'j'."""
        hf = with_expiry(fields)
        spec = {"purge": list(purge), "z": z, "rk": rk, "rev": 1 if rev else 0, "min": lo, "max": hi, "off": offset,
                "lim": -1 if limit is None else limit, "fl": [list(f) for f in filters], "hf": hf}
        out = await self.run("page", spec)
        return int(out[0]), self.rows(out[1:], hf)

    async def fetch(self, script: str, spec: dict[str, Any], fields: Sequence[str]) -> tuple[int, list[Row]]:
        """Run a reading script whose reply is ``[count, member, fields..., ...]`` with ``spec["hf"]`` = fields."""
        hf = with_expiry(fields)
        spec["hf"] = hf
        out = await self.run(script, spec)
        return int(out[0]), self.rows(out[1:], hf)

    def rows(self, flat: list[Any], fields: list[str]) -> list[Row]:
        """Rows of a flat ``[member, field values..., ...]`` reply, without those whose expiry passed."""
        width = len(fields) + 1
        now = epoch_ms(utc_now())
        rows = []
        for i in range(0, len(flat), width):
            values = dict(zip(fields, flat[i + 1:i + width], strict=True))
            expiry = values.get("x")
            if expiry and int(expiry) <= now:
                continue
            rows.append(Row(member=flat[i], values=values))
        return rows

    # --- point reads -------------------------------------------------------------------

    async def get_many(self, keys: Sequence[str], fields: Sequence[str]) -> list[dict[str, str | None] | None]:
        """HMGET of each key in one pipeline (one round trip); None for missing or expired records."""
        hf = with_expiry(fields)
        if len(keys) == 1:
            results = [await self.transport.call("HMGET", keys[0], *hf)]
        else:
            results = await self.transport.pipeline([["HMGET", k, *hf] for k in keys])
        now = epoch_ms(utc_now())
        out: list[dict[str, str | None] | None] = []
        for vals in results:
            values = dict(zip(hf, vals, strict=True))
            expiry = values.get("x")
            out.append(None if vals[0] is None or (expiry and int(expiry) <= now) else values)
        return out

    async def get_one(self, key: str, fields: Sequence[str]) -> dict[str, str | None] | None:
        """One record's hash fields (None when missing or expired)."""
        return (await self.get_many([key], fields))[0]

    async def exists_many(self, keys: Iterable[str]) -> list[bool]:
        """Whether each key exists, in one pipeline."""
        return [bool(int(flag)) for flag in await self.transport.pipeline([["EXISTS", k] for k in keys])]

    # --- read-modify-write and admin ---------------------------------------------------

    async def optimistic(self, attempt: Callable[[], Awaitable[tuple[bool, T]]]) -> T:
        """Retry a read-modify-write whose write is a versioned script call until it wins."""
        for i in range(MAX_RETRIES):
            done, value = await attempt()
            if done:
                return value
            await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * (i + 1))))
        raise ConflictError(f"gave up after {MAX_RETRIES} conflicting concurrent updates")

    async def clear_patterns(self, domain: str) -> None:
        """dangerously_clear_all: SCAN + UNLINK of the domain's key patterns (admin/test path only)."""
        for pattern in self.keys.patterns(domain):
            batch: list[Any] = []
            async for key in self.transport.scan(pattern, 1000):
                batch.append(key)
                if len(batch) >= 500:
                    await self.transport.call("UNLINK", *batch)
                    batch = []
            if batch:
                await self.transport.call("UNLINK", *batch)


def with_expiry(fields: Sequence[str]) -> list[str]:
    """The requested fields plus ``x`` (the expiry), which every read checks."""
    hf = list(fields)
    if "x" not in hf:
        hf.append("x")
    return hf
