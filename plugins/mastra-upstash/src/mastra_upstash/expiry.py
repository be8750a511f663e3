"""Each record's expiry, read and set exactly (``Storage.read_expiry`` / ``write_expiry``, for copies).

A record's expiry lives in three places (see :mod:`mastra_upstash.lua`): its hash field ``x`` (what reads check),
the key's PEXPIREAT (Redis deletes the hash) and its member in the entity's expiry zset (what ``purge`` unindexes
by). Reading is one pipeline of HMGETs; setting is one script call that moves all three together, or removes them
(PERSIST) for a record that never expires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from mastra_core.backend.expiry import KINDS, Expiries, Key
from mastra_core.clock import epoch_ms

from .connection import UpstashConnection
from .schema import Keys

#: spec: {recs: [{k: record key, ex?: expiry ms, xz: the entity's expiry zset}]}
SET_EXPIRY = r"""
local S = cjson.decode(ARGV[1])
for _, r in ipairs(S.recs) do
  local o = redis.call('HMGET', r.k, 's', 'ix', 'xz', 'xm')
  if o[1] then
    if o[3] and o[4] then redis.call('ZREM', o[3], o[4]) end
    if r.ex then
      local xm = cjson.encode({r.k, o[1], cjson.decode(o[2] or '[]')})
      redis.call('ZADD', r.xz, r.ex, xm)
      redis.call('HSET', r.k, 'x', r.ex, 'xz', r.xz, 'xm', xm)
      redis.call('PEXPIREAT', r.k, r.ex)
    else
      redis.call('HDEL', r.k, 'x', 'xz', 'xm')
      redis.call('PERSIST', r.k)
    end
  end
end
return 'OK'
"""


def record_key(keys: Keys, kind: str, key: Key) -> str:
    """The hash key of a record of ``kind``."""
    if kind == "thread":
        return keys.thread(key[0])
    if kind == "message":
        return keys.message(key[0])
    if kind == "resource":
        return keys.resource(key[0])
    if kind == "workflow_run":
        return keys.run(key[0], key[1])
    if kind == "score":
        return keys.score(key[0])
    if kind == "span":
        return keys.span(key[0], key[1])
    return keys.ltrace(key[0])


async def read(conn: UpstashConnection, kind: str, keys: Sequence[Key]) -> Expiries:
    """The stored expiry of each existing record among ``keys``."""
    items = list(keys)
    out: Expiries = {}
    for i in range(0, len(items), 1000):
        part = items[i:i + 1000]
        replies = await conn.transport.pipeline([["HMGET", record_key(conn.keys, kind, k), "s", "x"] for k in part])
        for key, (seq, exp) in zip(part, replies, strict=True):
            if seq is not None:
                out[key] = None if not exp else datetime.fromtimestamp(int(exp) / 1000, tz=UTC)
    return out


async def write(conn: UpstashConnection, kind: str, expiries: Mapping[Key, datetime | None]) -> None:
    """Set each record's expiry (None: never); records that do not exist are left alone."""
    zset = conn.keys.exp(KINDS[kind].entity)
    items = list(expiries.items())
    for i in range(0, len(items), 500):
        recs = [{"k": record_key(conn.keys, kind, k), "xz": zset, **({"ex": str(epoch_ms(at))} if at else {})}
                for k, at in items[i:i + 500]]
        payload = json.dumps({"recs": recs}, ensure_ascii=False, separators=(",", ":"))
        await conn.transport.call("EVAL", SET_EXPIRY, "0", payload)
