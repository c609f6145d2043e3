/**
 * A synthetic Prometheus HTTP API for the scale benchmark: `/api/v1/query` (GET or POST form)
 * answers an instant vector the way Prometheus would for Sluice's Istio templates — one series
 * per workload of each namespace the query names (`destination_workload_namespace="ns"` or
 * `=~"a|b"`), labelled with both labels — without storing any samples. Request counts
 * (`increase(`) are 600 per window, ratios 0.001. It counts the queries of every evaluation
 * time (a tick), which is what "PromQL queries per tick" reads.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SyntheticPrometheus {
  url: string;
  /** Queries received per evaluation time (the `time` parameter). */
  queriesPerTick(): number[];
  total(): number;
  close(): Promise<void>;
}

function matcherValues(query: string, label: string): string[] | undefined {
  const m = new RegExp(`${label}(=~|=)"([^"]*)"`).exec(query);
  if (m === null) return undefined;
  return m[1] === '=' ? [m[2] ?? ''] : (m[2] ?? '').split('|');
}

function answer(query: string, workloadsOf: (namespace: string) => readonly string[], time: number): unknown {
  const namespaces = matcherValues(query, 'destination_workload_namespace') ?? [];
  const only = matcherValues(query, 'destination_workload');
  const value = String(query.includes('increase(') ? 600 : 0.001);
  const result = namespaces.flatMap((ns) =>
    workloadsOf(ns)
      .filter((w) => only === undefined || only.includes(w) || only[0] === '')
      .map((w) => ({ metric: { destination_workload_namespace: ns, destination_workload: w }, value: [time, value] })),
  );
  return { status: 'success', data: { resultType: 'vector', result } };
}

export async function syntheticPrometheus(
  workloadsOf: (namespace: string) => readonly string[],
): Promise<SyntheticPrometheus> {
  const ticks = new Map<string, number>();
  let total = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const params = new URLSearchParams(req.method === 'POST' ? body : url.search);
      if (url.pathname !== '/api/v1/query') {
        res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ status: 'error', errorType: 'not_found', error: url.pathname }));
        return;
      }
      const query = params.get('query') ?? '';
      const time = Number(params.get('time') ?? Date.now() / 1000);
      total++;
      ticks.set(String(time), (ticks.get(String(time)) ?? 0) + 1);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer(query, workloadsOf, time)));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queriesPerTick: () => [...ticks.values()],
    total: () => total,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
