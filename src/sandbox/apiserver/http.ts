/** The HTTP plumbing of the API emulator: bodies, content types, query options, and answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { PatchType, WriteOptions } from './api.js';
import type { FieldValidation } from './admission.js';
import type { AuditObjectRef } from './audit.js';
import { errors } from './status.js';

const MAX_BODY = 3 * 1024 * 1024;

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: string;
  audit: AuditObjectRef & { watch: boolean };
  headers: Record<string, string>;
}

export function send(ctx: Ctx, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...ctx.headers,
  });
  ctx.res.end(text);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk); // beyond the limit the rest is drained, then refused
    });
    req.on('end', () =>
      size > MAX_BODY ? reject(errors.tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

export function parseBody(ctx: Ctx): unknown {
  if (ctx.body.trim() === '') return undefined;
  const type = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (type.includes('protobuf') || type.includes('cbor'))
    throw errors.unsupportedMediaType('application/json, application/yaml');
  try {
    return type.includes('yaml') ? parseYaml(ctx.body) : JSON.parse(ctx.body);
  } catch (e) {
    throw errors.badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
}

export function writeOptions(q: URLSearchParams): WriteOptions {
  const fv = q.get('fieldValidation') ?? 'Strict';
  if (!['Strict', 'Warn', 'Ignore'].includes(fv))
    throw errors.badRequest(
      `fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`,
    );
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All')) throw errors.badRequest('dryRun: Unsupported value: only "All" is supported');
  return {
    dryRun: dryRun.length > 0,
    fieldValidation: fv as FieldValidation,
    ...(q.get('fieldManager') === null ? {} : { fieldManager: q.get('fieldManager') ?? '' }),
    force: q.get('force') === 'true',
  };
}

export function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

/** The fields that have a value. */
export function defined<T extends Record<string, string | undefined>>(fields: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<
    Record<keyof T, string>
  >;
}

export function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

export function patchTypeOf(req: IncomingMessage): PatchType {
  const type = PATCH_TYPES[(req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''];
  if (type === undefined) throw errors.unsupportedMediaType(Object.keys(PATCH_TYPES).join(', '));
  return type;
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-sluice-sandbox',
  gitCommit: 'sandbox',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23',
  compiler: 'gc',
  platform: 'linux/amd64',
};
