/**
 * API emulator benchmark: 10,000 custom objects created, listed and watched; then a sustained
 * 1,000 watch events/s fanned out to 3 watchers. The emulator runs in its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { median, percentile } from './machine.js';

const root = new URL('..', import.meta.url).pathname;

export interface ApiServerBenchResult {
  objects: number;
  createPerSecond: number;
  listMs: { median: number; samples: number[] };
  listBytes: number;
  watchAllAddedMs: number;
  fanout: {
    targetPerSecond: number;
    seconds: number;
    watchers: number;
    sentPerSecond: number;
    deliveredPerSecondPerWatcher: number;
    latencyMs: { p50: number; p99: number };
    missed: number;
  };
  rssMiB: number;
}

async function startEmulator(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [join(root, 'bin/sluice.js'), 'sandbox', 'apiserver', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`the emulator exited with ${String(code)}`)));
  });
  return { proc, url };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Keep-alive HTTP/1.1, as client-go and client-node talk to an API server. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url: string, method: string, body?: unknown, contentType = 'application/json'): Promise<any> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers:
          payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 300)
            reject(new Error(`${method} ${url}: ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(text === '' ? undefined : JSON.parse(text));
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A watch stream: counts events and hands each parsed event to `on`. */
function watch(url: string, on: (event: any, at: number) => void): { stop: () => void; ready: Promise<void> } {
  const controller = new AbortController();
  const ready = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const at = Date.now();
          buf += decoder.decode(value, { stream: true });
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim() !== '') on(JSON.parse(line), at);
            nl = buf.indexOf('\n');
          }
        }
      } catch {
        // aborted
      }
    })();
  })();
  return { stop: () => controller.abort(), ready };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const until = async (what: string, check: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

export async function benchApiServer(
  opts: { objects?: number; fanoutSeconds?: number } = {},
): Promise<ApiServerBenchResult> {
  const n = opts.objects ?? 10_000;
  const { proc, url } = await startEmulator();
  try {
    for (const file of ['crds/rollouts.sluice.dev.yaml'])
      await request(
        `${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`,
        'POST',
        parse(readFileSync(join(root, file), 'utf8')),
      );
    await request(`${url}/api/v1/namespaces`, 'POST', { metadata: { name: 'bench' } });
    const base = `${url}/apis/sluice.dev/v1alpha1/namespaces/bench/rollouts`;
    const template = parse(readFileSync(join(root, 'examples/podinfo/rollout.yaml'), 'utf8'));
    const startRv = (await request(base, 'GET')).metadata.resourceVersion;

    // 3 watchers from before the creation see every ADDED event.
    const added = [0, 0, 0];
    const watchers = added.map((_, i) =>
      watch(`${base}?watch=true&resourceVersion=${startRv}`, (e) => (e.type === 'ADDED' ? added[i]!++ : undefined)),
    );
    await Promise.all(watchers.map((w) => w.ready));
    const createStart = performance.now();
    await pool(
      Array.from({ length: n }, (_, i) => i),
      32,
      async (i) => {
        await request(base, 'POST', {
          ...template,
          metadata: { name: `r-${String(i).padStart(5, '0')}`, namespace: 'bench' },
        });
      },
    );
    const createMs = performance.now() - createStart;
    await until('every watcher to see every object', () => added.every((a) => a === n), 60_000);
    const watchAllAddedMs = performance.now() - createStart;
    for (const w of watchers) w.stop();

    const samples: number[] = [];
    let listBytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const text = await new Promise<string>((resolve, reject) => {
        http
          .get(base, { agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          })
          .on('error', reject);
      });
      samples.push(performance.now() - t0);
      listBytes = text.length;
      if ((JSON.parse(text) as { items: unknown[] }).items.length !== n)
        throw new Error('the LIST did not return every object');
    }

    const fanout = await sustainedFanout(base, n, opts.fanoutSeconds ?? 10);
    return {
      objects: n,
      createPerSecond: Math.round(n / (createMs / 1000)),
      listMs: { median: Math.round(median(samples)), samples: samples.map(Math.round) },
      listBytes,
      watchAllAddedMs: Math.round(watchAllAddedMs),
      fanout,
      rssMiB: rssMiB(proc.pid ?? 0),
    };
  } finally {
    proc.kill('SIGTERM');
  }
}

/** 1,000 changes per second for `seconds`, each watched by 3 watchers; latency from send to receipt. */
async function sustainedFanout(
  base: string,
  objects: number,
  seconds: number,
): Promise<ApiServerBenchResult['fanout']> {
  const target = 1000;
  const watchersN = 3;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const delivered = Array.from({ length: watchersN }, () => 0);
  const rv = (await request(`${base}?limit=1`, 'GET')).metadata.resourceVersion;
  const watchers = delivered.map((_, i) =>
    watch(`${base}?watch=true&resourceVersion=${rv}`, (e, at) => {
      if (e.type !== 'MODIFIED') return;
      delivered[i]!++;
      const sent = sentAt.get(e.object.metadata.annotations?.['bench/seq'] ?? '');
      if (sent !== undefined) latencies.push(at - sent);
    }),
  );
  await Promise.all(watchers.map((w) => w.ready));
  const total = target * seconds;
  const start = performance.now();
  let seq = 0;
  const inflight = new Set<Promise<void>>();
  while (seq < total) {
    const due = Math.floor(((performance.now() - start) / 1000) * target);
    while (seq < Math.min(due, total)) {
      const key = String(seq++);
      const name = `r-${String(Number(key) % objects).padStart(5, '0')}`;
      sentAt.set(key, Date.now());
      const p = request(
        `${base}/${name}`,
        'PATCH',
        { metadata: { annotations: { 'bench/seq': key } } },
        'application/merge-patch+json',
      ).then(() => undefined);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inflight);
  const sendSeconds = (performance.now() - start) / 1000;
  await until('the watchers to catch up', () => delivered.every((d) => d >= total), 30_000).catch(() => undefined);
  const elapsed = (performance.now() - start) / 1000;
  for (const w of watchers) w.stop();
  return {
    targetPerSecond: target,
    seconds,
    watchers: watchersN,
    sentPerSecond: Math.round(total / sendSeconds),
    deliveredPerSecondPerWatcher: Math.round(median(delivered) / elapsed),
    latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
    missed: delivered.reduce((sum, d) => sum + Math.max(0, total - d), 0),
  };
}
