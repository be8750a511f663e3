"""What every Upstash domain store shares: the connection, the scripts and record (de)coding."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
from mastra_core.clock import epoch_ms, iso, utc_now
from mastra_core.pagination import Page, PerPage, has_more
from mastra_core.serde import from_wire, to_wire

from . import lua
from .keys import SEQ_WIDTH, Keys

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Optimistic read-modify-writes retry this many times on a version conflict before giving up.
MAX_RETRIES = 200


def ms(value: datetime) -> str:
    """Epoch milliseconds as a string (exact, no float)."""
    return str(epoch_ms(value))


def from_ms(value: str | int) -> datetime:
    return _EPOCH + timedelta(milliseconds=int(value))


def dumps(value: Any) -> str:
    """Record JSON: ASCII-escaped, so lone surrogates and any Unicode survive the trip through Lua."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def text(value: Any) -> Any:
    """Decode bytes replies (a caller-supplied client may not decode responses)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [text(v) for v in value]
    return value


class ConflictError(Exception):
    """An optimistic write lost the race too many times."""


class Conn:
    """The shared client and registered scripts of one store (filled in by ``UpstashStore._open``)."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.client: Any = None
        self.scripts: dict[str, Any] = {}

    def attach(self, client: Any) -> None:
        self.client = client
        self.scripts = {
            name: client.register_script(src)
            for name, src in (("upsert", lua.UPSERT), ("delete", lua.DELETE), ("page", lua.PAGE), ("messages", lua.MESSAGES),
                              ("intersect", lua.INTERSECT))
        }

    async def run(self, name: str, spec: dict[str, Any]) -> Any:
        """Run one script with its JSON spec (one EVALSHA; redis-py loads the script on NOSCRIPT)."""
        spec.setdefault("now", ms(utc_now()))
        payload = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        return text(await self.scripts[name](keys=[], args=[payload]))


@attrs.define(kw_only=True)
class Rec:
    """One record to upsert: key, id part of its index members, hash fields, index (zset, score field) pairs."""

    key: str
    id: str
    fields: dict[str, str]
    ix: list[tuple[str, str]]
    expires_at: datetime | None = None
    expect: str | None = None
    insert_only: bool = False
    #: optional hash fields this write leaves out: deleted from an existing record (no stale filter values)
    optional: tuple[str, ...] = ()


@attrs.define(kw_only=True)
class Row:
    """A record read back: its member (None for point reads), JSON and the other requested fields."""

    member: str | None
    values: dict[str, str | None]

    @property
    def seq(self) -> int:
        return int(self.values.get("s") or (self.member or "0")[:SEQ_WIDTH] or 0)


class RedisDomain:
    """Mixin of every domain store: script calls, record encoding, pages, optimistic updates."""

    backend_token = "UPSTASH"

    def __init__(self, conn: Conn, **kw: Any) -> None:
        super().__init__(**kw)
        self.conn = conn
        self.keys = conn.keys

    @property
    def r(self) -> Any:
        return self.conn.client

    # --- encoding ----------------------------------------------------------------------

    @staticmethod
    def encode(record: Any, drop: Sequence[str] = ("createdAt", "updatedAt")) -> str:
        wire = to_wire(record)
        for key in drop:
            wire.pop(key, None)
        return dumps(wire)

    @staticmethod
    def decode(cls: type[T], values: dict[str, str | None]) -> T:
        """A record from its hash: the JSON plus ``c``/``u`` as createdAt/updatedAt."""
        data = json.loads(values["j"] or "{}")
        if values.get("c"):
            data["createdAt"] = iso(from_ms(values["c"]))  # type: ignore[arg-type]
        if values.get("u"):
            data["updatedAt"] = iso(from_ms(values["u"]))  # type: ignore[arg-type]
        return from_wire(data, cls)

    def purge_keys(self, *entities: str) -> list[str]:
        """Expiry zsets to purge before counting an index: only those of entities with an active TTL."""
        return [self.keys.exp(e) for e in entities if self.retention.rule(e) is not None]  # type: ignore[attr-defined]

    # --- scripts -----------------------------------------------------------------------

    def _rec_spec(self, rec: Rec, entity: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"k": rec.key, "id": rec.id, "f": rec.fields, "ix": [list(e) for e in rec.ix]}
        if rec.expires_at is not None:
            spec["ex"] = ms(rec.expires_at)
            spec["xz"] = self.keys.exp(entity)
        if rec.expect is not None:
            spec["ev"] = rec.expect
        if rec.insert_only:
            spec["nx"] = 1
        rm = [f for f in rec.optional if f not in rec.fields]
        if rm:
            spec["rm"] = rm
        return spec

    async def upsert(self, entity: str, recs: Sequence[Rec], *, bump: Sequence[str] = (), purge: Sequence[str] = ()) -> list[Any]:
        """One atomic script call; returns ['OK', c, s, v, ...], ['CONFLICT', i] or ['EXISTS', i].

        Compare-and-set and insert-only writes carry a fresh write token, so redis-py's retry of a call
        whose reply was lost is answered OK instead of being applied twice (or reported as a conflict).
        """
        spec: dict[str, Any] = {"seq": self.keys.seq, "recs": [self._rec_spec(r, entity) for r in recs]}
        if any(r.expect is not None or r.insert_only for r in recs):
            spec["wt"] = uuid.uuid4().hex
        if bump:
            spec["bump"] = list(dict.fromkeys(bump))
        if purge:
            spec["purge"] = list(purge)
        result: list[Any] = await self.conn.run("upsert", spec)
        return result

    async def delete(self, *, keys: Sequence[str] = (), cascade: Sequence[tuple[str, str]] = (), bump_field: str | None = None,
                     purge: Sequence[str] = ()) -> int:
        spec: dict[str, Any] = {"keys": list(keys), "cascade": [list(c) for c in cascade], "purge": list(purge)}
        if bump_field:
            spec["bf"] = bump_field
        return int(await self.conn.run("delete", spec))

    async def page(
        self, *, z: str, rk: str, fields: Sequence[str], rev: bool = False, lo: str = "-inf", hi: str = "+inf",
        offset: int = 0, limit: int | None = None, filters: Sequence[tuple[str, str]] = (), purge: Sequence[str] = (),
    ) -> tuple[int, list[Row]]:
        """A page of an index (``limit`` None = all), filtered by hash-field equality; ``fields[0]`` must be 'j'."""
        fields = list(fields)
        if "x" not in fields:
            fields.append("x")
        spec = {"purge": list(purge), "z": z, "rk": rk, "rev": 1 if rev else 0, "min": lo, "max": hi, "off": offset,
                "lim": -1 if limit is None else limit, "fl": [list(f) for f in filters], "hf": fields}
        out = await self.conn.run("page", spec)
        return int(out[0]), self._rows(out[1:], fields)

    def _rows(self, flat: list[Any], fields: list[str]) -> list[Row]:
        width = len(fields) + 1
        now = epoch_ms(utc_now())
        rows = []
        for i in range(0, len(flat), width):
            values = dict(zip(fields, flat[i + 1:i + width], strict=True))
            if values.get("x") and int(values["x"]) <= now:
                continue
            rows.append(Row(member=flat[i], values=values))
        return rows

    async def get_many(self, keys: Sequence[str], fields: Sequence[str]) -> list[dict[str, str | None] | None]:
        """HMGET of each key in one pipeline (one round trip); None for missing or expired records."""
        fields = list(fields)
        if "x" not in fields:
            fields.append("x")
        if len(keys) == 1:
            results = [await self.r.hmget(keys[0], fields)]
        else:
            pipe = self.r.pipeline(transaction=False)
            for k in keys:
                pipe.hmget(k, fields)
            results = await pipe.execute()
        now = epoch_ms(utc_now())
        out: list[dict[str, str | None] | None] = []
        for vals in results:
            vals = text(vals)
            values = dict(zip(fields, vals, strict=True))
            if vals[0] is None or (values.get("x") and int(values["x"]) <= now):
                out.append(None)
            else:
                out.append(values)
        return out

    async def get_one(self, key: str, fields: Sequence[str]) -> dict[str, str | None] | None:
        return (await self.get_many([key], fields))[0]

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
            async for key in self.r.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    await self.r.unlink(*batch)
                    batch = []
            if batch:
                await self.r.unlink(*batch)


def page_of(items: list[T], total: int, page: int, per_page: PerPage) -> Page[T]:
    return Page(items=items, total=total, page=page, per_page=per_page, has_more=has_more(total, page, per_page))


def limit_of(per_page: PerPage) -> int | None:
    return None if per_page is False else per_page


def offset_of(page: int, per_page: PerPage) -> int:
    return 0 if per_page is False else page * per_page
