// The reference side of bench/bench_side_by_side.py: the issue-16 table's six ops on a real Mastra TS store,
// each timed in-process with process.hrtime (the pipe to Python is outside every timing).
//
// A long-lived process driven by JSON lines on stdin, so the Python side can alternate rounds with its own
// store (machine load then hits both sides alike) without paying node's start-up or the store's init per round:
//   {"cmd": "open", "backend": "pg"|"libsql"|"dynamodb", "config": {...store options...}, "more": bool}  init + seed
//   {"cmd": "run", "op": "<op name>", "n": 40, "warmup": 5}  -> {"samples_ms": [...], "total_ms": .., "cpu_ms": ..}
//   {"cmd": "gc"}  -> a full collection (node started with --expose-gc)
//   {"cmd": "close"}
// Every reply is one stdout line starting with "@@bench " (a package logging to stdout cannot break the protocol).
// The packages are the interop suite's, under $MASTRA_INTEROP_PACKAGES (interop/setup.sh installs them).
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const PACKAGES = {
  pg: ['ref-pg-libsql', '@mastra/pg', 'PostgresStore'],
  libsql: ['ref-pg-libsql', '@mastra/libsql', 'LibSQLStore'],
  dynamodb: ['ref-dynamodb', '@mastra/dynamodb', 'DynamoDBStore'],
};
const WORKING_MEMORY = 'w'.repeat(1024);

// The same ~2.6 KB workflow snapshot as bench/bench_overhead.py's snapshot().
function snapshot() {
  const context = {};
  for (let i = 0; i < 14; i++) {
    context[`step${i}`] = { status: 'success', output: { text: 'x'.repeat(40), n: i }, startedAt: 1, endedAt: 2 };
  }
  return {
    runId: 'run-1', status: 'running', value: {}, context, activePaths: [1],
    serializedStepGraph: Array.from({ length: 8 }, (_, i) => ({ type: 'step', step: { id: `step${i}` } })),
    suspendedPaths: {}, waitingPaths: {}, timestamp: 1,
  };
}

async function loadStore(backend, config) {
  const [folder, pkg, cls] = PACKAGES[backend];
  const require = createRequire(path.join(process.env.MASTRA_INTEROP_PACKAGES, folder, 'package.json'));
  const mod = await import(require.resolve(pkg));
  return new mod[cls](config);
}

const domain = async (store, name) =>
  typeof store.getStore === 'function' ? await store.getStore(name) : store.stores?.[name];

const thread = (id, resourceId) => ({
  id, resourceId, title: 't', metadata: {}, createdAt: new Date(), updatedAt: new Date(),
});

// The six ops, as bench/bench_reference_ops.py's reference_ops() runs them on the Python store.
function ops(memory, workflows) {
  let batchNo = 0;
  let fresh = 0;
  const snap = snapshot();
  const batch = () => {
    const k = batchNo++;
    return Array.from({ length: 10 }, (_, i) => ({
      id: `ref-${k}-${i}`, threadId: 'ref-w', resourceId: 'ref', role: 'user', type: 'v2', createdAt: new Date(),
      content: { format: 2, parts: [{ type: 'text', text: `hello ${i}` }], content: `hello ${i}` },
    }));
  };
  return {
    save_thread: () => memory.saveThread({ thread: thread('ref-t', 'ref') }),
    'save_messages(10)': () => memory.saveMessages({ messages: batch() }),
    get_thread_by_id: () => memory.getThreadById({ threadId: 'ref-w' }),
    'list_threads(resource, 20 of 100)': () =>
      memory.listThreads({ filter: { resourceId: 'ref-list' }, perPage: 20 }),
    'update_resource (1 KB working memory)': () =>
      memory.updateResource({ resourceId: 'ref-r', workingMemory: WORKING_MEMORY }),
    'persist + load workflow snapshot (2.6 KB)': async () => {
      await workflows.persistWorkflowSnapshot({ workflowName: 'wf', runId: 'run-ref', snapshot: snap });
      await workflows.loadWorkflowSnapshot({ workflowName: 'wf', runId: 'run-ref' });
    },
    // bench_reference_ops.variant_ops: a new record every call (the create paths)
    'save_thread (new thread)': () => memory.saveThread({ thread: thread(`ref-new-${fresh++}`, 'ref-new') }),
    'update_resource (new resource)': () =>
      memory.updateResource({ resourceId: `ref-r${fresh++}`, workingMemory: WORKING_MEMORY }),
    'persist + load (new run)': async () => {
      const runId = `run-ref-n${fresh++}`;
      await workflows.persistWorkflowSnapshot({ workflowName: 'wf', runId, snapshot: snap });
      await workflows.loadWorkflowSnapshot({ workflowName: 'wf', runId });
    },
    // bench_reference_ops.more_ops: the other frequent ops, on what seedMore wrote
    get_resource_by_id: () => memory.getResourceById({ resourceId: 'ref-rs' }),
    'update_thread (title + metadata)': () =>
      memory.updateThread({ id: 'ref-w', title: `t${fresh++}`, metadata: { turn: fresh } }),
    'list_messages (newest 20 of 200)': () =>
      memory.listMessages({ threadId: 'ref-m', perPage: 20, page: 0, orderBy: { field: 'createdAt', direction: 'DESC' } }),
    'list_messages_by_id (10)': () => memory.listMessagesById({ messageIds: MESSAGE_IDS }),
    get_workflow_run_by_id: () => workflows.getWorkflowRunById({ runId: 'run-l7', workflowName: 'wf-list' }),
    'list_workflow_runs (20 of 100)': () => workflows.listWorkflowRuns({ workflowName: 'wf-list', page: 0, perPage: 20 }),
  };
}

const MESSAGE_IDS = Array.from({ length: 10 }, (_, i) => `ref-m-${i * 20}`);

// What the extra ops read: a resource, a thread of 200 messages, 100 runs of one workflow (as bench_reference_ops.seed_more).
async function seedMore(memory, workflows) {
  await memory.updateResource({ resourceId: 'ref-rs', workingMemory: WORKING_MEMORY });
  await memory.saveThread({ thread: thread('ref-m', 'ref') });
  const base = Date.now() - 3600_000;
  for (let k = 0; k < 20; k++) {
    await memory.saveMessages({
      messages: Array.from({ length: 10 }, (_, i) => ({
        id: `ref-m-${k * 10 + i}`, threadId: 'ref-m', resourceId: 'ref', role: 'user', type: 'v2',
        createdAt: new Date(base + (k * 10 + i) * 1000),
        content: { format: 2, parts: [{ type: 'text', text: `message ${k * 10 + i}` }], content: `message ${k * 10 + i}` },
      })),
    });
  }
  const snap = snapshot();
  for (let i = 0; i < 100; i++) {
    await workflows.persistWorkflowSnapshot({ workflowName: 'wf-list', runId: `run-l${i}`, snapshot: snap });
  }
  const page = await memory.listMessages({ threadId: 'ref-m', perPage: 20, page: 0, orderBy: { field: 'createdAt', direction: 'DESC' } });
  const runs = await workflows.listWorkflowRuns({ workflowName: 'wf-list', page: 0, perPage: 20 });
  if (page.messages.length !== 20 || runs.runs.length !== 20 || runs.total !== 100) {
    throw new Error(`seedMore: ${page.messages.length} messages, ${runs.runs.length} of ${runs.total} runs`);
  }
}

async function seed(memory) {
  await memory.saveThread({ thread: thread('ref-w', 'ref') });
  for (let i = 0; i < 100; i++) await memory.saveThread({ thread: thread(`ref-l${i}`, 'ref-list') });
  // the same work as ours: a page of 20 out of the resource's 100 threads
  const page = await memory.listThreads({ filter: { resourceId: 'ref-list' }, perPage: 20 });
  if (page.threads.length !== 20 || page.total !== 100) throw new Error(`list_threads: ${page.threads.length}`);
}

async function timed(fn, n, warmup) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu); // the process's CPU (every thread, libuv's pool too) in the loop, in us
  return { samples_ms: samples, total_ms: total, cpu_ms: (used.user + used.system) / 1000 };
}

const reply = (value) => new Promise((resolve) => process.stdout.write(`@@bench ${JSON.stringify(value)}\n`, resolve));

async function main() {
  let store = null;
  let table = null;
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    try {
      if (req.cmd === 'open') {
        store = await loadStore(req.backend, req.config);
        await store.init();
        const memory = await domain(store, 'memory');
        await seed(memory);
        const workflows = await domain(store, 'workflows');
        if (req.more) await seedMore(memory, workflows);
        table = ops(memory, workflows);
        await reply({ ok: true, node: process.version });
      } else if (req.cmd === 'run') {
        await reply({ ok: true, ...(await timed(table[req.op], req.n, req.warmup ?? 0)) });
      } else if (req.cmd === 'gc') {
        // a full collection after the warm-up pass, as the Python side does (node runs with --expose-gc)
        if (typeof globalThis.gc === 'function') globalThis.gc();
        await reply({ ok: true, collected: typeof globalThis.gc === 'function' });
      } else if (req.cmd === 'close') {
        break;
      } else {
        throw new Error(`unknown command ${req.cmd}`);
      }
    } catch (err) {
      await reply({ ok: false, error: String(err?.stack ?? err) });
    }
  }
  for (const name of ['close', 'disconnect']) {
    if (store && typeof store[name] === 'function') {
      try { await store[name](); break; } catch { /* the next one */ }
    }
  }
}

main().then(() => process.exit(0), (err) => { process.stderr.write(String(err?.stack ?? err)); process.exit(1); });
