"""The Lua scripts: every write is one script call (atomic, one round trip), and so is every indexed read.

Each script takes one argument, a JSON spec built in Python (all numbers travel as strings, so
cjson never rounds them). Records are hashes with the fields

    j   the record's JSON (wire form without createdAt/updatedAt)
    c   created_at in epoch ms (kept by every upsert of an existing record)
    u   updated_at in epoch ms (where the record has one)
    s   insertion sequence (INCR of ``{prefix}seq`` on first write; kept afterwards)
    v   version, +1 on every write (optimistic read-modify-writes compare it)
    ix  JSON list of the index entries ``[zset key, member, score field]`` the record is in
    x, xz, xm   expiry ms, the entity's expiry zset and the record's member in it (only with a TTL)

plus a few plain fields the indexes and filters read (``tk`` thread key, ``r`` resource id...).
Index members are ``{s:015d}:{escaped id}``; the record key is the index's record prefix plus
``member:sub(17)``.

Expiry: a record written with a TTL gets PEXPIREAT and an entry in ``{prefix}exp:{entity}`` (score
= expiry ms, member = JSON ``[record key, seq, index entries]``). Redis deletes the hash itself;
``purge`` (run at the start of every script that reads or counts an index of that entity) removes
the index entries of records whose expiry has passed, so ``ZCOUNT`` totals stay exact.
"""

from __future__ import annotations

PRELUDE = r"""
local S = cjson.decode(ARGV[1])
local now = tonumber(S.now)

local function alive(x)
  return (not x) or tonumber(x) > now
end

local function unindex(ixraw)
  if ixraw then
    for _, e in ipairs(cjson.decode(ixraw)) do redis.call('ZREM', e[1], e[2]) end
  end
end

-- o = HMGET key s c ix xz xm v x
local function forget(o)
  unindex(o[3])
  if o[4] and o[5] then redis.call('ZREM', o[4], o[5]) end
end

local function purge(xz)
  local dead = redis.call('ZRANGEBYSCORE', xz, '-inf', S.now)
  for _, m in ipairs(dead) do
    local e = cjson.decode(m)
    for _, ent in ipairs(e[3]) do redis.call('ZREM', ent[1], ent[2]) end
    if redis.call('HGET', e[1], 's') == e[2] then redis.call('DEL', e[1]) end
    redis.call('ZREM', xz, m)
  end
end

for _, xz in ipairs(S.purge or {}) do purge(xz) end

local function bump(tk)
  local o = redis.call('HMGET', tk, 'u', 'ix', 'x', 'v')
  if o[1] and alive(o[3]) then
    local us = string.format('%.0f', math.max(now, tonumber(o[1]) + 1))
    redis.call('HSET', tk, 'u', us, 'v', tostring(tonumber(o[4] or '0') + 1))
    if o[2] then
      for _, e in ipairs(cjson.decode(o[2])) do
        if e[3] == 'u' then redis.call('ZADD', e[1], us, e[2]) end
      end
    end
  end
end

local function member(s, id)
  return string.format('%015d', tonumber(s)) .. ':' .. id
end

-- Raw JSON text, read without decoding: a value's end, an object's members as {key text, value text}. A shallow
-- merge splices the stored text, so every value keeps its exact bytes (cjson would round numbers to 14 digits
-- and turn an empty list into an object).
local function skip_ws(s, i)
  return (s:find('[^ \t\r\n]', i)) or (#s + 1)
end

local function value_end(s, i)
  local ch = s:sub(i, i)
  if ch == '"' then
    local j = i + 1
    while true do
      local q = s:find('[\\"]', j)
      if not q then return #s + 1 end
      if s:sub(q, q) == '"' then return q + 1 end
      j = q + 2
    end
  elseif ch == '{' or ch == '[' then
    local depth, j = 0, i
    while true do
      local q = s:find('[\"{}%[%]]', j)
      if not q then return #s + 1 end
      local c = s:sub(q, q)
      if c == '"' then
        j = value_end(s, q)
      else
        if c == '{' or c == '[' then depth = depth + 1 else depth = depth - 1 end
        j = q + 1
        if depth == 0 then return j end
      end
    end
  end
  return (s:find('[,}%]%s]', i)) or (#s + 1)
end

local function members(s)
  local out = {}
  if not s or s:sub(1, 1) ~= '{' then return out end
  local i = skip_ws(s, 2)
  if s:sub(i, i) == '}' then return out end
  while i <= #s do
    local ke = value_end(s, i)
    local key = s:sub(i, ke - 1)
    i = skip_ws(s, skip_ws(s, ke) + 1)
    local ve = value_end(s, i)
    out[#out + 1] = {key, s:sub(i, ve - 1)}
    i = skip_ws(s, ve)
    if s:sub(i, i) ~= ',' then break end
    i = skip_ws(s, i + 1)
  end
  return out
end

-- members m with the {key text, value text} pairs of p set over them (existing keys keep their place)
local function set_members(m, p)
  local at = {}
  for i, kv in ipairs(m) do at[kv[1]] = i end
  for _, kv in ipairs(p) do
    if at[kv[1]] then m[at[kv[1]]][2] = kv[2] else
      m[#m + 1] = {kv[1], kv[2]}
      at[kv[1]] = #m
    end
  end
  return m
end

local function object(m)
  local parts = {}
  for _, kv in ipairs(m) do parts[#parts + 1] = kv[1] .. ':' .. kv[2] end
  return '{' .. table.concat(parts, ',') .. '}'
end

-- the record JSON j with mg applied, nil when a member to merge into is neither an object nor null/absent (the
-- caller then takes the general path, where the core's own merge decides): mg.set = top-level {key, value} pairs
-- to set; mg.sub = {key, mg'} pairs, each member (absent or null: empty) merged with mg' the same way
local function merged(j, mg)
  if j:sub(1, 1) ~= '{' then return nil end
  local top = members(j)
  local p = {}
  for _, kv in ipairs(mg.set or {}) do p[#p + 1] = kv end
  for _, sk in ipairs(mg.sub or {}) do
    local inner = '{}'
    for _, kv in ipairs(top) do
      if kv[1] == sk[1] and kv[2] ~= 'null' then inner = kv[2] end
    end
    local m = merged(inner, sk[2])
    if not m then return nil end
    p[#p + 1] = {sk[1], m}
  end
  return object(set_members(top, p))
end

local function esc(id)
  return (string.gsub(string.gsub(id, '%%', '%%25'), ':', '%%3A'))
end

-- the [zset, score field] index entries of a merged record: its stored entries ixraw without those whose zset starts
-- with a prefix of mg.dz, plus mg.az; a [head, tail] of mg.dzr / mg.azr is a zset name around the record's escaped
-- resource id rid (the r field), so a thread's resource-scoped metadata indexes are found without reading it first
local function merged_ix(ixraw, mg, rid)
  local drop = {}
  for _, d in ipairs(mg.dz or {}) do drop[#drop + 1] = d end
  if rid then
    local e = esc(rid)
    for _, d in ipairs(mg.dzr or {}) do drop[#drop + 1] = d[1] .. e .. d[2] end
  end
  local out = {}
  for _, ent in ipairs(ixraw and cjson.decode(ixraw) or {}) do
    local keep = true
    for _, d in ipairs(drop) do
      if ent[1]:sub(1, #d) == d then keep = false; break end
    end
    if keep then out[#out + 1] = {ent[1], ent[3]} end
  end
  for _, a in ipairs(mg.az or {}) do out[#out + 1] = a end
  if rid then
    local e = esc(rid)
    for _, a in ipairs(mg.azr or {}) do out[#out + 1] = {a[1] .. e .. a[2], a[3]} end
  end
  return out
end
"""

#: Upsert records (all checks first, then all writes), then bump ``updated_at`` of ``S.bump`` thread keys.
#: spec: {now, seq, purge?, bump?,
#:        recs: [{k, id, f: {field: value}, ix: [[zset, score field]], rm?, ev?, nx?, ex?, xz?}]}
#: ``rm``: optional fields this write leaves out (deleted from an existing hash); ``ev``: expected version;
#: ``mg``: merge into a live record instead of replacing its ``j`` (see ``merged``; ``f`` is the record written
#: when none is live), its reply then adds the stored ``j`` and ``u``; a live merged record keeps its stored index
#: entries but for the changes ``merged_ix`` makes; ``updated_at`` becomes now but strictly after the stored one,
#: or ``f.u`` as given with ``mg.un``; only ``j``, ``c``, ``u`` and the fields ``mg.f`` are written (``mg.rm``
#: deleted), the others stay as stored; ``xx``: update only (no live record: nothing written, 'MISSING');
#: ``nx``: insert only; ``S.wt``: a write token stored on every record, so that a client retry of a
#: compare-and-set or insert-only script whose reply was lost is recognised (the records carry its token) and
#: answered OK, not applied twice.
#: returns ['OK', c1, s1, v1, c2, ...] | ['CONFLICT', i] | ['EXISTS', i] | ['MISSING', i] | ['SHAPE', i] (a member
#: to merge into is not an object: nothing written, the caller takes its general path)
UPSERT = PRELUDE + r"""
local olds = {}
local fresh = 0
local replay = false
for i, r in ipairs(S.recs) do
  local o = redis.call('HMGET', r.k, 's', 'c', 'ix', 'xz', 'xm', 'v', 'x', 'wt', 'j', 'u', 'r')
  local live = (o[1] and alive(o[7])) and true or false
  olds[i] = {o, live}
  if not live then fresh = fresh + 1 end
  -- a merge whose record carries this write token already ran (a client retry after a lost reply)
  if r.mg and S.wt and live and o[8] == S.wt then replay = true end
  local refused = nil
  if r.ev then
    local cur = '0'
    if live then cur = o[6] or '0' end
    if cur ~= r.ev then refused = 'CONFLICT' end
  end
  if r.nx and live then refused = 'EXISTS' end
  if refused then
    -- the same write token: this is a client retry of a script that already ran (its reply was lost)
    if S.wt and live and o[8] == S.wt then replay = true else return {refused, i} end
  end
  if r.xx and not live then return {'MISSING', i} end
  -- the merged JSON is made before anything is written, so a record it cannot merge leaves everything untouched
  if r.mg and live and not replay then
    olds[i][3] = merged(o[9] or '{}', r.mg)
    if not olds[i][3] then return {'SHAPE', i} end
  end
end
if replay then
  local out = {'OK'}
  for i, _ in ipairs(S.recs) do
    local o = olds[i][1]
    out[#out + 1] = o[2] or ''
    out[#out + 1] = o[1]
    out[#out + 1] = o[6]
    if S.recs[i].mg then
      out[#out + 1] = o[9]
      out[#out + 1] = o[10]
    end
  end
  return out
end
-- one INCRBY allocates the sequence numbers of every new record, in the order given
local nextseq = 0
if fresh > 0 then nextseq = redis.call('INCRBY', S.seq, fresh) - fresh end
local adds, addorder = {}, {}
local out = {'OK'}
for i, r in ipairs(S.recs) do
  local o, live = olds[i][1], olds[i][2]
  local f = r.f
  local s, v
  local rix, rm = r.ix, r.rm
  if o[1] then forget(o) end
  if live then
    s = o[1]
    if r.mg then
      -- the merge made above, the fields mg.f and nothing else of f (the other fields stay as stored); updated_at
      -- now (strictly after the stored one unless mg.un)
      f = {j = olds[i][3], u = r.f.u}
      for name, value in pairs(r.mg.f or {}) do f[name] = value end
      if o[10] and not r.mg.un then f.u = string.format('%.0f', math.max(now, tonumber(o[10]) + 1)) end
      rix, rm = merged_ix(o[3], r.mg, o[11]), r.mg.rm
    end
    if o[2] then f.c = o[2] end
    v = tonumber(o[6] or '0') + 1
    if rm and #rm > 0 then redis.call('HDEL', r.k, unpack(rm)) end
    if o[7] and not r.ex then
      redis.call('HDEL', r.k, 'x', 'xz', 'xm')
      redis.call('PERSIST', r.k)
    end
  else
    if o[1] then redis.call('DEL', r.k) end
    nextseq = nextseq + 1
    s = string.format('%d', nextseq)
    v = 1
  end
  local m = member(s, r.id)
  local ix = {}
  for _, e in ipairs(rix) do
    local z = e[1]
    if not adds[z] then
      adds[z] = {}
      addorder[#addorder + 1] = z
    end
    local a = adds[z]
    a[#a + 1] = f[e[2]]
    a[#a + 1] = m
    ix[#ix + 1] = {z, m, e[2]}
  end
  f.s = s
  f.v = tostring(v)
  f.ix = cjson.encode(ix)
  if S.wt then f.wt = S.wt end
  if r.ex then
    local xm = cjson.encode({r.k, s, ix})
    redis.call('ZADD', r.xz, r.ex, xm)
    f.x = r.ex
    f.xz = r.xz
    f.xm = xm
  end
  local args = {}
  for name, value in pairs(f) do
    args[#args + 1] = name
    args[#args + 1] = value
  end
  redis.call('HSET', r.k, unpack(args))
  if r.ex then redis.call('PEXPIREAT', r.k, r.ex) end
  out[#out + 1] = f.c or ''
  out[#out + 1] = s
  out[#out + 1] = f.v
  if r.mg then
    out[#out + 1] = f.j
    out[#out + 1] = f.u or ''
  end
end
-- one ZADD per index (a batch of messages of one thread touches two indexes, whatever its size)
for _, z in ipairs(addorder) do
  local a = adds[z]
  for i = 1, #a, 1000 do redis.call('ZADD', z, unpack(a, i, math.min(i + 999, #a))) end
end
for _, tk in ipairs(S.bump or {}) do bump(tk) end
return out
"""

#: Delete records and everything their indexes reference.
#: spec: {now, purge?, cascade?: [[zset, record prefix]], keys: [record keys], bf?: field naming a key to bump}
#: returns the number of records deleted.
DELETE = PRELUDE + r"""
local touched = {}
local count = 0
local function drop(k)
  local o = redis.call('HMGET', k, 's', 'c', 'ix', 'xz', 'xm', 'v', 'x', S.bf or 's')
  if o[1] then
    forget(o)
    redis.call('DEL', k)
    count = count + 1
    if S.bf and o[8] then touched[o[8]] = true end
  end
end
for _, c in ipairs(S.cascade or {}) do
  for _, m in ipairs(redis.call('ZRANGE', c[1], 0, -1)) do drop(c[2] .. string.sub(m, 17)) end
  redis.call('DEL', c[1])
end
for _, k in ipairs(S.keys or {}) do drop(k) end
for tk, _ in pairs(touched) do bump(tk) end
return count
"""

#: Clean up every record expired at ``now`` (``prune``): its index entries, and its hash if Redis has not
#: deleted it yet. spec: {now, xz: [expiry zsets]}; returns the number of records cleaned up.
PRUNE = PRELUDE + r"""
local n = 0
for _, xz in ipairs(S.xz) do
  n = n + redis.call('ZCOUNT', xz, '-inf', S.now)
  purge(xz)
end
return n
"""

#: One page of one index, optionally filtered by equality on hash fields (then every candidate is read).
#: spec: {now, purge?, z, rk, rev: 0|1, min, max, off, lim (-1: all), fl: [[field, value]], hf: [fields]}
#: returns [total, member1, hf values..., member2, ...]
PAGE = PRELUDE + r"""
local out = {0}
local function emit(m, k)
  local vals = redis.call('HMGET', k, unpack(S.hf))
  if not vals[1] then
    redis.call('ZREM', S.z, m)
    return false
  end
  out[#out + 1] = m
  for _, v in ipairs(vals) do out[#out + 1] = v end
  return true
end
local function range(off, lim)
  if S.rev == 1 then
    return redis.call('ZREVRANGEBYSCORE', S.z, S.max, S.min, 'LIMIT', off, lim)
  end
  return redis.call('ZRANGEBYSCORE', S.z, S.min, S.max, 'LIMIT', off, lim)
end
if #S.fl == 0 then
  out[1] = redis.call('ZCOUNT', S.z, S.min, S.max)
  if S.lim ~= 0 then
    for _, m in ipairs(range(S.off, S.lim)) do
      if not emit(m, S.rk .. string.sub(m, 17)) then out[1] = out[1] - 1 end
    end
  end
  return out
end
local names = {}
for i, fl in ipairs(S.fl) do names[i] = fl[1] end
local matched, taken, pos = 0, 0, 0
while true do
  local ms = range(pos, 500)
  for _, m in ipairs(ms) do
    local k = S.rk .. string.sub(m, 17)
    local fv = redis.call('HMGET', k, unpack(names))
    local ok = true
    for i, fl in ipairs(S.fl) do
      if fv[i] ~= fl[2] then ok = false; break end
    end
    if ok then
      if matched >= S.off and (S.lim < 0 or taken < S.lim) then
        if emit(m, k) then taken = taken + 1 else matched = matched - 1 end
      end
      matched = matched + 1
    end
  end
  pos = pos + #ms
  if #ms < 500 then break end
end
out[1] = matched
return out
"""

#: list_messages: totals, the page (merged across threads), include windows, and the rows, in one call.
#: spec: {now, purge?, zs: [zsets], min, max, rev, off, lim, inc: [[message key, escaped id, prev, next]], rk, hf}
#: returns [total, n, member1, hf values..., ...]: the first n rows are the page, the rest the windows' other rows
MESSAGES = PRELUDE + r"""
local total = 0
for _, z in ipairs(S.zs) do total = total + redis.call('ZCOUNT', z, S.min, S.max) end
local chosen, order = {}, {}
local function take(m)
  if not chosen[m] then
    chosen[m] = true
    order[#order + 1] = m
  end
end
local function range(z, off, lim)
  if S.rev == 1 then
    return redis.call('ZREVRANGEBYSCORE', z, S.max, S.min, 'WITHSCORES', 'LIMIT', off, lim)
  end
  return redis.call('ZRANGEBYSCORE', z, S.min, S.max, 'WITHSCORES', 'LIMIT', off, lim)
end
if S.lim ~= 0 then
  if #S.zs == 1 then
    local r = range(S.zs[1], S.off, S.lim)
    for i = 1, #r, 2 do take(r[i]) end
  else
    local need = -1
    if S.lim > 0 then need = S.off + S.lim end
    local all = {}
    for _, z in ipairs(S.zs) do
      local r = range(z, 0, need)
      for i = 1, #r, 2 do all[#all + 1] = {tonumber(r[i + 1]), r[i]} end
    end
    if S.rev == 1 then
      table.sort(all, function(a, b) if a[1] ~= b[1] then return a[1] > b[1] end return a[2] > b[2] end)
    else
      table.sort(all, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
    end
    local last = #all
    if S.lim > 0 and S.off + S.lim < last then last = S.off + S.lim end
    for i = S.off + 1, last do take(all[i][2]) end
  end
end
local npage = #order
for _, inc in ipairs(S.inc) do
  local o = redis.call('HMGET', inc[1], 's', 'tk', 'x')
  if o[1] and o[2] and alive(o[3]) then
    local z = o[2] .. ':messages'
    local rank = redis.call('ZRANK', z, member(o[1], inc[2]))
    if rank then
      local lo = rank - tonumber(inc[3])
      if lo < 0 then lo = 0 end
      for _, m in ipairs(redis.call('ZRANGE', z, lo, rank + tonumber(inc[4]))) do take(m) end
    end
  end
end
local out = {total, 0}
for i, m in ipairs(order) do
  local vals = redis.call('HMGET', S.rk .. string.sub(m, 17), unpack(S.hf))
  if vals[1] then
    if i <= npage then out[2] = out[2] + 1 end
    out[#out + 1] = m
    for _, v in ipairs(vals) do out[#out + 1] = v end
  end
end
return out
"""

#: Equality filters on (field, value) indexes (thread metadata, root-span columns): intersect the indexes,
#: starting from the smallest, order the matches by ``order`` (which also defines the scope), return one page.
#: O(members of the rarest index).
#: spec: {now, purge?, order, mz: [zsets], rk, rev, off, lim (-1: all), hf}
#: returns [total, member1, hf values..., ...]
INTERSECT = PRELUDE + r"""
local best, bestn = nil, -1
for _, z in ipairs(S.mz) do
  local n = redis.call('ZCARD', z)
  if bestn < 0 or n < bestn then best, bestn = z, n end
end
local cand = {}
if bestn > 0 then
  for _, m in ipairs(redis.call('ZRANGE', best, 0, -1)) do
    local ok = true
    for _, z in ipairs(S.mz) do
      if z ~= best and not redis.call('ZSCORE', z, m) then ok = false; break end
    end
    if ok then
      local sc = redis.call('ZSCORE', S.order, m)
      if sc then cand[#cand + 1] = {tonumber(sc), m} end
    end
  end
end
if S.rev == 1 then
  table.sort(cand, function(a, b) if a[1] ~= b[1] then return a[1] > b[1] end return a[2] > b[2] end)
else
  table.sort(cand, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
end
local out = {#cand}
local last = #cand
if S.lim >= 0 and S.off + S.lim < last then last = S.off + S.lim end
for i = S.off + 1, last do
  local m = cand[i][2]
  local vals = redis.call('HMGET', S.rk .. string.sub(m, 17), unpack(S.hf))
  if vals[1] then
    out[#out + 1] = m
    for _, v in ipairs(vals) do out[#out + 1] = v end
  end
end
return out
"""
