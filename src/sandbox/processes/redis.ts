/** Redis for the sandbox: the one at a given URL, or a private redis-server on a free port. */
import { freePort, redisPing, startChild, waitFor, which, type Child } from './child.js';

export interface RedisServer {
  url: string;
  child: Child | undefined;
}

export const REDIS_MISSING =
  'redis-server is not installed: run `apt-get update && apt-get install -y redis-server`, or pass --redis-url redis://HOST:PORT';

export async function startRedis(dir: string, url?: string): Promise<RedisServer> {
  if (url !== undefined) {
    const u = new URL(url);
    const ok = await redisPing(u.hostname, Number(u.port || 6379));
    if (!ok)
      throw new Error(
        `no Redis answers at ${url}: start one, or leave out --redis-url to have the sandbox start its own`,
      );
    return { url, child: undefined };
  }
  const binary = which('redis-server');
  if (binary === undefined) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const child = startChild(binary, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ]);
  await waitFor('redis-server', () => redisPing('127.0.0.1', port), 15_000, child);
  return { url: `redis://127.0.0.1:${port}`, child };
}
