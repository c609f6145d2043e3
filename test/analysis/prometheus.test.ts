/** The Prometheus provider against a local server speaking the HTTP API: auth, answers, failures as data. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusProvider } from '../../src/analysis/prometheus.js';
import { secretCredentials, secretReader } from '../../src/controller/templates.js';

let server: Server;
let url: string;
const seen: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      const query = new URLSearchParams(body).get('query') ?? '';
      if (query === 'hang') return; // never answers
      if (query === 'bad(')
        return void res
          .writeHead(400, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }));
      const data =
        query === 'scalar'
          ? { resultType: 'scalar', result: [1700000000, '0.25'] }
          : {
              resultType: 'vector',
              result: [
                { metric: { wl: 'cart' }, value: [1700000000, '0.5'] },
                { metric: { wl: 'pay' }, value: [1700000000, 'NaN'] },
              ],
            };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const AT = new Date('2026-11-26T12:00:00Z');

describe('the Prometheus provider', () => {
  it('posts instant queries at the given time and reads vectors and scalars', async () => {
    const p = new PrometheusProvider();
    expect(await p.instant({ address: url, timeoutMs: 2000 }, 'up', AT)).toEqual({
      ok: true,
      series: [
        { labels: { wl: 'cart' }, value: 0.5 },
        { labels: { wl: 'pay' }, value: NaN },
      ],
    });
    expect(await p.instant({ address: url, timeoutMs: 2000 }, 'scalar', AT)).toEqual({
      ok: true,
      series: [{ labels: {}, value: 0.25 }],
    });
    expect(new URLSearchParams(seen.at(-1)?.body).get('time')).toBe(String(AT.getTime() / 1000));
  });

  it('sends bearer and basic credentials', async () => {
    const p = new PrometheusProvider();
    await p.instant({ address: url, timeoutMs: 2000, auth: { bearer: 't0ken' } }, 'up', AT);
    expect(seen.at(-1)?.headers.authorization).toBe('Bearer t0ken');
    await p.instant({ address: url, timeoutMs: 2000, auth: { username: 'sluice', password: 'pw' } }, 'up', AT);
    expect(seen.at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from('sluice:pw').toString('base64')}`);
  });

  it('turns every failure into data: bad query, timeout, nobody listening', async () => {
    const p = new PrometheusProvider();
    expect(await p.instant({ address: url, timeoutMs: 2000 }, 'bad(', AT)).toEqual({
      ok: false,
      error: expect.stringMatching(/^Prometheus at http:\/\/127\.0\.0\.1:\d+: bad_data: parse error at char 5$/),
    });
    expect(await p.instant({ address: url, timeoutMs: 300 }, 'hang', AT)).toEqual({
      ok: false,
      error: expect.stringMatching(/timeout_error/),
    });
    expect(await p.instant({ address: 'http://127.0.0.1:1', timeoutMs: 500 }, 'up', AT)).toEqual({
      ok: false,
      error: expect.stringMatching(/^Prometheus at http:\/\/127\.0\.0\.1:1: network_error/),
    });
  });
});

describe('credentials from a Secret', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secrets: Record<string, Record<string, string>> = {
    bearer: { token: b64('t0ken\n') },
    basic: { username: b64('u'), password: b64('p') },
    empty: { other: b64('x') },
  };
  let reads = 0;
  const core = {
    readNamespacedSecret: ({ name }: { name: string }) => Promise.resolve((reads++, { data: secrets[name] })),
  } as any;
  const hashes: Record<string, string> = { bearer: 'h1', basic: 'h2', empty: 'h3' };
  const credentials = secretCredentials(
    secretReader({ core }, (_ns, name) =>
      hashes[name] === undefined
        ? undefined
        : { apiVersion: 'v1', kind: 'Secret', metadata: { name }, hash: hashes[name] },
    ),
  );

  it('reads token or username/password, once per content', async () => {
    expect(await credentials('shop', 'bearer')).toEqual({ bearer: 't0ken' });
    expect(await credentials('shop', 'bearer')).toEqual({ bearer: 't0ken' });
    expect(reads).toBe(1);
    hashes['bearer'] = 'h1b';
    await credentials('shop', 'bearer');
    expect(reads).toBe(2);
    expect(await credentials('shop', 'basic')).toEqual({ username: 'u', password: 'p' });
  });

  it('says what is wrong otherwise', async () => {
    expect(await credentials('shop', 'missing')).toBe(
      'Secret missing not found in namespace shop (spec.prometheus.authSecretRef)',
    );
    expect(await credentials('shop', 'empty')).toBe(
      'Secret empty has neither a token key nor username and password keys',
    );
  });
});
