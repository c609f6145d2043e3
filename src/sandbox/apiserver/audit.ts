/** The audit log: one entry per request, for tests and benchmarks to count reads and writes. */

export interface AuditEntry {
  seq: number;
  time: string;
  verb: string;
  method: string;
  path: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  contentType?: string;
  userAgent?: string;
  code: number;
}

export class AuditLog {
  private entries: AuditEntry[] = [];
  private seq = 0;

  constructor(private readonly max = 200_000) {}

  add(entry: Omit<AuditEntry, 'seq' | 'time'>): void {
    this.entries.push({ seq: ++this.seq, time: new Date().toISOString(), ...entry });
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
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
