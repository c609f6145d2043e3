/**
 * A local fake of the GitHub REST API for tests. Every request is matched to an operation of
 * GitHub's official OpenAPI description (@octokit/openapi) and checked against it — path and
 * query parameters, JSON body — and recorded with the verdict. It keeps repositories, commits,
 * pull requests, commit statuses, deployments (with statuses) and issue comments, answers the
 * way GitHub documents (201 on create, Link headers on pages), and can be told to fail: 500s,
 * or secondary rate limits (403 with retry-after).
 */
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';

type Json = Record<string, any>;

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  op: Json;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  operationId: string | undefined;
  body: unknown;
  status: number;
  problems: string[];
  at: number;
  authorization: string;
}

let operations: Operation[] | undefined;

function loadOperations(): Operation[] {
  if (operations !== undefined) return operations;
  const require = createRequire(import.meta.url);
  const doc = require('@octokit/openapi/generated/api.github.com.deref.json') as Json;
  operations = [];
  for (const [template, item] of Object.entries(doc['paths'] as Record<string, Json>)) {
    const names: string[] = [];
    const regex = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, n: string) => (names.push(n), '([^/]+)'))}$`,
    );
    for (const method of ['get', 'post', 'put', 'patch', 'delete'])
      if (item[method] !== undefined)
        operations.push({ method: method.toUpperCase(), template, regex, names, op: item[method] as Json });
  }
  return operations;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new WeakMap<object, ValidateFunction>();
function validator(schema: object): ValidateFunction {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  const v = ajv.compile(schema);
  compiled.set(schema, v);
  return v;
}

function check(op: Operation, params: Record<string, string>, query: Record<string, string>, body: unknown): string[] {
  const problems: string[] = [];
  const declared = (op.op['parameters'] ?? []) as Json[];
  for (const p of declared) {
    const value =
      p['in'] === 'path' ? params[p['name'] as string] : p['in'] === 'query' ? query[p['name'] as string] : undefined;
    if (value === undefined) {
      if (p['required'] === true && p['in'] !== 'header')
        problems.push(`missing ${p['in'] as string} parameter ${p['name'] as string}`);
      continue;
    }
    const schema = (p['schema'] ?? {}) as Json;
    const typed =
      schema['type'] === 'integer' || schema['type'] === 'number'
        ? Number(value)
        : schema['type'] === 'boolean'
          ? value === 'true'
          : value;
    const v = validator(schema);
    if (!v(typed))
      problems.push(`${p['in'] as string} parameter ${p['name'] as string}=${value}: ${ajv.errorsText(v.errors)}`);
  }
  for (const name of Object.keys(query))
    if (!declared.some((p) => p['in'] === 'query' && p['name'] === name))
      problems.push(`unknown query parameter ${name}`);
  const requestBody = op.op['requestBody'] as Json | undefined;
  if (requestBody === undefined) {
    if (body !== undefined) problems.push('a body where the operation takes none');
  } else if (body === undefined) {
    if (requestBody['required'] === true) problems.push('missing body');
  } else {
    const schema = requestBody['content']?.['application/json']?.['schema'] as object | undefined;
    const v = schema === undefined ? undefined : validator(schema);
    if (v !== undefined && !v(body)) problems.push(`body: ${ajv.errorsText(v.errors)}`);
  }
  return problems;
}

export interface FakeRepo {
  commits: string[];
  /** Pull request number -> the commits it holds (the last one is its merge commit). */
  pulls: Record<number, string[]>;
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly repos = new Map<string, FakeRepo>();
  readonly statuses: { id: number; repo: string; sha: string; state: string; context: string; description: string }[] =
    [];
  readonly deployments: {
    id: number;
    repo: string;
    sha: string;
    environment: string;
    payload: unknown;
    description: string;
    statuses: { id: number; state: string; description: string }[];
  }[] = [];
  readonly comments: { id: number; repo: string; issue: number; body: string; created: number; updated: number }[] = [];
  readonly reactions: { repo: string; commentId: number; content: string }[] = [];
  /** GitHub login -> permission on every repository (absent: none). */
  readonly permissions = new Map<string, string>();
  /** Ids of comments people made (as webhooks deliver them), so that reactions to them succeed. */
  readonly foreignComments = new Set<number>();
  private failing: { until: number; mode: '500' | 'secondary' } | undefined;
  private nextId = 1000;
  private currentPath = '';
  private server: Server | undefined;
  url = '';

  addRepo(name: string, repo: FakeRepo): void {
    this.repos.set(name, repo);
  }

  /** Answers every request with `mode` for `ms`. */
  failFor(ms: number, mode: '500' | 'secondary'): void {
    this.failing = { until: Date.now() + ms, mode };
  }

  /** Requests that broke the OpenAPI description. */
  invalid(): RecordedRequest[] {
    return this.requests.filter((r) => r.problems.length > 0);
  }

  async start(): Promise<string> {
    loadOperations();
    this.server = createServer((req, res) => void this.handle(req, res));
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams.entries());
    const body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    const op = loadOperations().find((o) => o.method === method && o.regex.test(url.pathname));
    const params: Record<string, string> = {};
    if (op !== undefined)
      op.names.forEach((n, i) => (params[n] = decodeURIComponent(op.regex.exec(url.pathname)?.[i + 1] ?? '')));
    const problems =
      op === undefined ? [`no operation ${method} ${path} in the OpenAPI description`] : check(op, params, query, body);
    if (req.headers['authorization'] === undefined) problems.push('no Authorization header');
    const record: RecordedRequest = {
      method,
      path,
      query,
      operationId: op?.op['operationId'] as string | undefined,
      body,
      status: 0,
      problems,
      at: Date.now(),
      authorization: req.headers['authorization'] ?? '',
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      res
        .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers })
        .end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (this.failing !== undefined && Date.now() < this.failing.until) {
      if (this.failing.mode === '500') send(500, { message: 'Server Error' });
      else
        send(
          403,
          {
            message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url:
              'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          },
          { 'retry-after': '1' },
        );
      return;
    }
    if (problems.length > 0) {
      send(422, { message: 'Validation Failed', errors: problems });
      return;
    }
    this.currentPath = url.pathname;
    const answer = this.answer(record.operationId ?? '', params, query, body as Json | undefined);
    send(answer.status, answer.body, answer.headers);
  }

  private repo(params: Record<string, string>): [string, FakeRepo | undefined] {
    const name = `${params['owner'] ?? ''}/${params['repo'] ?? ''}`;
    return [name, this.repos.get(name)];
  }

  private page<T>(
    items: T[],
    query: Record<string, string>,
    path = this.currentPath,
  ): { status: number; body: T[]; headers: Record<string, string> } {
    const per = Number(query['per_page'] ?? 30);
    const page = Number(query['page'] ?? 1);
    const slice = items.slice((page - 1) * per, page * per);
    const more = page * per < items.length;
    return {
      status: 200,
      body: slice,
      headers: more
        ? {
            link: `<${this.url}${path}?${new URLSearchParams({ ...query, page: String(page + 1), per_page: String(per) }).toString()}>; rel="next"`,
          }
        : {},
    };
  }

  private answer(
    operationId: string,
    params: Record<string, string>,
    query: Record<string, string>,
    body: Json | undefined,
  ): { status: number; body: unknown; headers?: Record<string, string> } {
    if (operationId === 'apps/create-installation-access-token')
      return {
        status: 201,
        body: {
          token: `ghs_installation${params['installation_id'] ?? ''}`,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: { statuses: 'write' },
        },
      };
    const [name, repo] = this.repo(params);
    const notFound = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    if (repo === undefined) return notFound;
    const now = new Date().toISOString();
    const user = { login: 'sluice-bot', id: 1, type: 'Bot' };
    switch (operationId) {
      case 'repos/get-commit': {
        const sha = repo.commits.find((c) => c.startsWith(params['ref'] ?? '-'));
        return sha === undefined
          ? { status: 422, body: { message: `No commit found for SHA: ${params['ref'] ?? ''}` } }
          : { status: 200, body: { sha, commit: { message: 'a change' }, files: [] } };
      }
      case 'repos/list-pull-requests-associated-with-commit': {
        const sha = params['commit_sha'] ?? '';
        const prs = Object.entries(repo.pulls)
          .filter(([, commits]) => commits.includes(sha))
          .map(([n, commits]) => ({
            number: Number(n),
            state: 'closed',
            merge_commit_sha: commits[commits.length - 1],
          }));
        return this.page(prs, query);
      }
      case 'repos/create-commit-status': {
        const id = this.nextId++;
        this.statuses.push({
          id,
          repo: name,
          sha: params['sha'] ?? '',
          state: body?.['state'] as string,
          context: body?.['context'] as string,
          description: body?.['description'] as string,
        });
        return {
          status: 201,
          body: {
            id,
            state: body?.['state'],
            context: body?.['context'],
            description: body?.['description'],
            created_at: now,
            updated_at: now,
          },
        };
      }
      case 'repos/list-commit-statuses-for-ref': {
        // Newest first, as GitHub lists them.
        const sha =
          repo.commits.find((c) => c === params['ref'] || c.startsWith(params['ref'] ?? '-')) ?? params['ref'];
        return this.page(
          this.statuses
            .filter((x) => x.repo === name && x.sha === sha)
            .map((x) => ({ id: x.id, state: x.state, context: x.context, description: x.description }))
            .reverse(),
          query,
        );
      }
      case 'repos/list-deployment-statuses': {
        const d = this.deployments.find((x) => x.repo === name && x.id === Number(params['deployment_id']));
        if (d === undefined) return notFound;
        return this.page(
          d.statuses.map((x) => ({ id: x.id, state: x.state, description: x.description })).reverse(),
          query,
        );
      }
      case 'repos/list-deployments':
        return this.page(
          this.deployments
            .filter(
              (d) =>
                d.repo === name &&
                (query['sha'] === undefined || d.sha === query['sha']) &&
                (query['environment'] === undefined || d.environment === query['environment']),
            )
            .map((d) => ({
              id: d.id,
              sha: d.sha,
              environment: d.environment,
              payload: d.payload,
              description: d.description,
            })),
          query,
        );
      case 'repos/create-deployment': {
        const d = {
          id: this.nextId++,
          repo: name,
          sha: body?.['ref'] as string,
          environment: body?.['environment'] as string,
          payload: body?.['payload'],
          description: body?.['description'] as string,
          statuses: [],
        };
        this.deployments.push(d);
        return {
          status: 201,
          body: {
            id: d.id,
            sha: d.sha,
            ref: d.sha,
            environment: d.environment,
            payload: d.payload,
            description: d.description,
            created_at: now,
          },
        };
      }
      case 'repos/create-deployment-status': {
        const d = this.deployments.find((x) => x.repo === name && x.id === Number(params['deployment_id']));
        if (d === undefined) return notFound;
        const id = this.nextId++;
        d.statuses.push({ id, state: body?.['state'] as string, description: body?.['description'] as string });
        return {
          status: 201,
          body: { id, state: body?.['state'], description: body?.['description'], created_at: now },
        };
      }
      case 'issues/list-comments':
        return this.page(
          this.comments
            .filter((c) => c.repo === name && c.issue === Number(params['issue_number']))
            .map((c) => ({ id: c.id, body: c.body, user })),
          query,
        );
      case 'issues/create-comment': {
        const c = {
          id: this.nextId++,
          repo: name,
          issue: Number(params['issue_number']),
          body: body?.['body'] as string,
          created: Date.now(),
          updated: Date.now(),
        };
        this.comments.push(c);
        return { status: 201, body: { id: c.id, body: c.body, user, created_at: now, updated_at: now } };
      }
      case 'issues/update-comment': {
        const c = this.comments.find((x) => x.repo === name && x.id === Number(params['comment_id']));
        if (c === undefined) return notFound;
        c.body = body?.['body'] as string;
        c.updated = Date.now();
        return { status: 200, body: { id: c.id, body: c.body, user, created_at: now, updated_at: now } };
      }
      case 'reactions/create-for-issue-comment': {
        const c = this.comments.find((x) => x.repo === name && x.id === Number(params['comment_id']));
        this.reactions.push({
          repo: name,
          commentId: Number(params['comment_id']),
          content: body?.['content'] as string,
        });
        return c === undefined && !this.foreignComments.has(Number(params['comment_id']))
          ? notFound
          : { status: 201, body: { id: this.nextId++, content: body?.['content'], user, created_at: now } };
      }
      case 'repos/get-collaborator-permission-level': {
        const permission = this.permissions.get(params['username'] ?? '') ?? 'none';
        if (permission === 'none') return notFound;
        return { status: 200, body: { permission, role_name: permission, user: { login: params['username'] } } };
      }
      default:
        return { status: 501, body: { message: `the fake does not implement ${operationId}` } };
    }
  }
}
