/**
 * The audit log: one entry per request, for tests and benchmarks to count reads and writes;
 * optionally also written to a file as kube-apiserver's `--audit-log-path` writes it (JSON lines
 * of audit.k8s.io/v1 Events at level Metadata), so that tools reading a real cluster's audit log
 * read the sandbox's the same way.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';

/** What a resource request is about (the audit Event's objectRef). */
export interface AuditObjectRef {
  /** The API group ('' for the core group), for resource requests. */
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AuditEntry extends AuditObjectRef {
  seq: number;
  time: string;
  verb: string;
  method: string;
  path: string;
  contentType?: string;
  userAgent?: string;
  code: number;
}

export class AuditLog {
  private entries: AuditEntry[] = [];
  private seq = 0;

  private readonly file: WriteStream | undefined;

  /** `path`: also append each entry to this file as an audit.k8s.io/v1 Event. */
  constructor(
    private readonly max = 200_000,
    path?: string,
  ) {
    this.file = path === undefined ? undefined : createWriteStream(path, { flags: 'a' });
  }

  add(entry: Omit<AuditEntry, 'seq' | 'time'>): void {
    const e = { seq: ++this.seq, time: new Date().toISOString(), ...entry };
    this.entries.push(e);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    if (this.file?.writable === true) this.file.write(`${JSON.stringify(auditEvent(e))}\n`);
  }

  /** Flushes and closes the file, if any. */
  close(): Promise<void> {
    const file = this.file;
    return file === undefined ? Promise.resolve() : new Promise((resolve) => file.end(resolve));
  }

  /** Entries with a sequence number above `after`. */
  since(after = 0): AuditEntry[] {
    return this.entries.filter((e) => e.seq > after);
  }

  get last(): number {
    return this.seq;
  }

  clear(): void {
    this.entries = [];
  }
}

/** The verb Kubernetes' audit log would record for a request. */
export function verbOf(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** An entry as kube-apiserver writes it at audit level Metadata. */
function auditEvent(e: AuditEntry): Record<string, unknown> {
  const objectRef =
    e.resource === undefined
      ? undefined
      : {
          resource: e.resource,
          ...(e.subresource === undefined ? {} : { subresource: e.subresource }),
          ...(e.namespace === undefined ? {} : { namespace: e.namespace }),
          ...(e.name === undefined ? {} : { name: e.name }),
          apiGroup: e.apiGroup ?? '',
          ...(e.apiVersion === undefined ? {} : { apiVersion: e.apiVersion }),
        };
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: randomUUID(),
    stage: 'ResponseComplete',
    requestURI: e.path,
    verb: e.verb,
    user: { username: 'system:admin' },
    ...(e.userAgent === undefined ? {} : { userAgent: e.userAgent }),
    ...(objectRef === undefined ? {} : { objectRef }),
    responseStatus: { metadata: {}, code: e.code },
    requestReceivedTimestamp: e.time,
    stageTimestamp: e.time,
  };
}
