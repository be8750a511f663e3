// The reference side of the interop suite: runs a list of storage operations on a Mastra TS store.
//
// stdin:  {"backend": "pg"|"libsql"|"mongodb"|"dynamodb"|"upstash", "config": {...store options...}, "init": true,
//          "ops": [{"domain": "memory", "method": "saveThread", "args": [{...}]}, ...]}
// stdout: {"results": [{"ok": true, "value": ...} | {"ok": false, "error": "...", "stack": "..."}]}
//
// Dates travel as {"$date": "<ISO-8601>"} both ways so the Python side compares them to the millisecond;
// every other value is plain JSON. An op with "domain": null calls the composite store itself
// (e.g. "init"). One failing op does not stop the next ones: each result says what happened.
import { createRequire } from 'node:module';
import path from 'node:path';

const DATE = '$date';

function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === DATE) return new Date(value[DATE]);
    const out = {};
    for (const k of keys) out[k] = revive(value[k]);
    return out;
  }
  return value;
}

function tag(value) {
  if (value instanceof Date) return { [DATE]: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(tag);
  if (value && typeof value === 'object') {
    if (typeof value.toHexString === 'function') return value.toHexString(); // a BSON ObjectId
    const out = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = tag(v);
    return out;
  }
  return value;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const PACKAGES = {
  pg: ['ref-pg-libsql', '@mastra/pg', 'PostgresStore'],
  libsql: ['ref-pg-libsql', '@mastra/libsql', 'LibSQLStore'],
  mongodb: ['ref-mongodb', '@mastra/mongodb', 'MongoDBStore'],
  dynamodb: ['ref-dynamodb', '@mastra/dynamodb', 'DynamoDBStore'],
  upstash: ['ref-upstash', '@mastra/upstash', 'UpstashStore'],
};

async function loadStore(backend, config) {
  const [folder, pkg, cls] = PACKAGES[backend];
  const root = process.env.MASTRA_INTEROP_PACKAGES;
  const require = createRequire(path.join(root, folder, 'package.json'));
  const mod = await import(require.resolve(pkg));
  return new mod[cls](config);
}

async function main() {
  const request = revive(await readStdin());
  const store = await loadStore(request.backend, request.config);
  const results = [];
  try {
    if (request.init !== false) await store.init();
    for (const op of request.ops) {
      try {
        let target = store;
        if (op.domain) {
          target = typeof store.getStore === 'function' ? await store.getStore(op.domain) : store.stores?.[op.domain];
          if (!target) throw new Error(`no ${op.domain} domain on ${request.backend}`);
        }
        if (typeof target[op.method] !== 'function') throw new Error(`no method ${op.method} on ${op.domain ?? 'store'}`);
        const value = await target[op.method](...(op.args ?? []));
        results.push({ ok: true, value: tag(value === undefined ? null : value) });
      } catch (err) {
        results.push({ ok: false, error: String(err?.message ?? err), id: err?.id ?? null, stack: String(err?.stack ?? '') });
      }
    }
  } finally {
    await closeStore(store);
  }
  // exit() does not wait for a pipe to drain: a reply past 64 KB would be cut without the callback
  await new Promise((resolve) => process.stdout.write(JSON.stringify({ results }), resolve));
}

async function closeStore(store) {
  // Each package closes its own client its own way; none of them leaves the event loop idle otherwise.
  for (const name of ['close', 'disconnect']) {
    if (typeof store[name] === 'function') {
      try { await store[name](); return; } catch { /* fall through */ }
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(JSON.stringify({ fatal: String(err?.stack ?? err) }));
    process.exit(1);
  },
);
