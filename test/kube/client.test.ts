import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { kubeconfigFor } from '../../src/sandbox/apiserver/index.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

describe('kube clients', () => {
  it('reuse connections across requests and name themselves in User-Agent', async () => {
    let connections = 0;
    const agents = new Set<string>();
    server = createServer((req, res) => {
      agents.add(String(req.headers['user-agent']));
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kube-'));
    writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    const kube = kubeClients(loadKubeConfig(join(dir, 'kubeconfig'), 'sluice-controller/test'));
    for (let i = 0; i < 20; i++) await kube.core.readNamespace({ name: 'x' });
    await Promise.all(Array.from({ length: 5 }, () => kube.core.readNamespace({ name: 'x' })));
    expect(connections).toBeLessThanOrEqual(5);
    expect([...agents]).toEqual(['sluice-controller/test']);
  });
});
