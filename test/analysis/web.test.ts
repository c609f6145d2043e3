/** Web checks: the value at a JSONPath (number, boolean as 1/0) or the status code; failures as data; no header value in a message. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWeb, valueAt } from '../../src/analysis/web.js';
import type { ResolvedWeb } from '../../src/analysis/resolve.js';
import { renderJson, renderUrl } from '../../src/analysis/render-text.js';

let server: Server;
let base: string;
const seen: { method: string; auth?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        ...(req.headers.authorization === undefined ? {} : { auth: req.headers.authorization }),
        body,
      });
      if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 500);
      if (req.url === '/down') return void res.writeHead(503).end('{"ok":true}');
      if (req.url === '/text') return void res.end('hello');
      if (req.url === '/moved') return void res.writeHead(302, { Location: '/' }).end();
      res
        .writeHead(201, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ ok: true, data: { rate: '0.25' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const web = (path: string, extra: Partial<ResolvedWeb> = {}): ResolvedWeb => ({
  url: `${base}${path}`,
  method: 'GET',
  headers: [],
  timeoutMs: 2000,
  ...extra,
});
const noSecrets = (): Promise<{ error: string }> => Promise.resolve({ error: 'no secrets here' });

describe('web checks', () => {
  it('reads numbers, numeric strings and booleans at a JSONPath', () => {
    expect(valueAt({ ok: true }, '$.ok')).toEqual({ kind: 'value', value: 1 });
    expect(valueAt({ ok: false }, '$.ok')).toEqual({ kind: 'value', value: 0 });
    expect(valueAt({ a: [{ b: 2.5 }] }, '$.a[0].b')).toEqual({ kind: 'value', value: 2.5 });
    expect(valueAt({ a: '7' }, '$.a')).toEqual({ kind: 'value', value: 7 });
    expect(valueAt({ a: 'x' }, '$.a')).toMatchObject({
      kind: 'error',
      message: '$.a is "x", not a number or a boolean',
    });
    expect(valueAt({}, '$.missing')).toMatchObject({ kind: 'error', message: 'the answer has nothing at $.missing' });
  });

  it('takes the value from the answer, or the status code without jsonPath; POSTs a body', async () => {
    expect(await callWeb(web('/', { jsonPath: '$.data.rate' }), noSecrets)).toEqual({ kind: 'value', value: 0.25 });
    expect(await callWeb(web('/'), noSecrets)).toEqual({ kind: 'value', value: 201 });
    expect(await callWeb(web('/down'), noSecrets)).toEqual({ kind: 'value', value: 503 });
    await callWeb(web('/', { method: 'POST', body: '{"q":1}', jsonPath: '$.ok' }), noSecrets);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"q":1}' });
  });

  it('gives errors as data: a non-2xx answer with jsonPath, no JSON, a timeout, a refused connection', async () => {
    expect(await callWeb(web('/down', { jsonPath: '$.ok' }), noSecrets)).toMatchObject({
      kind: 'error',
      message: /answered 503/,
    });
    expect(await callWeb(web('/text', { jsonPath: '$.ok' }), noSecrets)).toMatchObject({
      message: /did not answer JSON/,
    });
    expect(await callWeb(web('/slow', { timeoutMs: 100, jsonPath: '$.ok' }), noSecrets)).toMatchObject({
      message: /no answer within 100 ms/,
    });
    expect(await callWeb({ ...web('/'), url: 'http://127.0.0.1:1/' }, noSecrets)).toMatchObject({
      message: /ECONNREFUSED/,
    });
  });

  it('sends header values from Secrets, and never names a value in a message', async () => {
    const secret = (_ns: string, name: string, key: string): Promise<string | { error: string }> =>
      Promise.resolve(
        name === 's' && key === 'auth' ? 'Bearer hunter2' : { error: `Secret ${name} has no key ${key}` },
      );
    const headers = [{ name: 'Authorization', secret: { namespace: 'demo', name: 's', key: 'auth' } }];
    expect(await callWeb(web('/', { headers, jsonPath: '$.ok' }), secret)).toEqual({ kind: 'value', value: 1 });
    expect(seen.at(-1)?.auth).toBe('Bearer hunter2');
    const down = await callWeb(web('/down', { headers, jsonPath: '$.ok' }), secret);
    expect(JSON.stringify(down)).not.toContain('hunter2');
    // a value fetch would refuse (and quote in its error) is refused first, unnamed
    const evil = (): Promise<string> => Promise.resolve('Bearer hunter2\u0000X: y');
    const refused = await callWeb(web('/', { headers }), evil);
    expect(refused).toEqual({ kind: 'error', message: 'header Authorization: its value has control characters' });
    const missing = [{ name: 'Authorization', secret: { namespace: 'demo', name: 's', key: 'other' } }];
    // with header values from Secrets a redirect is not followed (it could lead elsewhere)
    expect(await callWeb(web('/moved', { headers }), secret)).toEqual({ kind: 'value', value: 302 });
    expect(await callWeb(web('/moved'), noSecrets)).toEqual({ kind: 'value', value: 201 });
    expect(await callWeb(web('/', { headers: missing }), secret)).toEqual({
      kind: 'error',
      message: 'header Authorization: Secret s has no key other',
    });
  });
});

describe('args in URLs and Job specs', () => {
  it('URL-escapes values, but the one that starts the URL', () => {
    const r = renderUrl('{{ args.base }}/check?svc={{ args.service }}', {
      base: 'https://qa.example.com/api',
      service: 'a&b=c/d',
    });
    expect(r).toEqual({ ok: true, text: 'https://qa.example.com/api/check?svc=a%26b%3Dc%2Fd' });
    expect(renderUrl('{{ args.base }}/x', { base: 'file:///etc/passwd' })).toMatchObject({
      ok: false,
      error: /not an absolute http\(s\) URL/,
    });
    expect(renderUrl('http://{{ args.host }}/x', {})).toMatchObject({ ok: false, error: /arg "host" has no value/ });
    expect(renderUrl('http://h/api/{{ args.x }}/status', { x: '..' })).toMatchObject({
      ok: false,
      error: 'arg "x" is "..": it would change the path',
    });
  });

  it('puts values into the strings of a Job spec only: a value never adds a field', () => {
    const spec = { template: { spec: { containers: [{ args: ['{{ args.v }}'], env: [{ name: 'X', value: 'y' }] }] } } };
    const r = renderJson(spec, { v: '", "evil": "1' });
    expect(r).toEqual({
      ok: true,
      value: { template: { spec: { containers: [{ args: ['", "evil": "1'], env: [{ name: 'X', value: 'y' }] }] } } },
    });
  });
});
