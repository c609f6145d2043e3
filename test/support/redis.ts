/** A Redis server of a test's own, on a fixed port so that it can be stopped and started again. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisPing, startChild, waitFor, which, type Child } from '../../src/sandbox/processes/child.js';
import { REDIS_MISSING } from '../../src/sandbox/processes/redis.js';

export interface TestRedis {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `persist`: append-only file fsynced on every write, so that a restart keeps the data. */
export async function testRedis(persist = false): Promise<TestRedis> {
  const binary = which('redis-server');
  if (binary === undefined) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ];
  let child: Child | undefined;
  const start = async (): Promise<void> => {
    const c = startChild(binary, args);
    child = c;
    await waitFor('redis-server', () => redisPing('127.0.0.1', port), 15_000, c);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop: async () => child?.stop() };
}
