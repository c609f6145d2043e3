/**
 * Reading lint inputs: files and folders, multi-document YAML (and JSON), with limits so that no
 * input can crash or hang lint (binary files, huge files, alias bombs, duplicate keys).
 */
import { readdirSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join, extname } from 'node:path';
import { parseAllDocuments, LineCounter, isMap, isSeq, type Document, type Node } from 'yaml';
import type { PathSegment } from '../api/problem.js';

export const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_ALIAS_COUNT = 100;
const YAML_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** One object to validate, with a way to find the line of any field path inside it. */
export interface LoadedObject {
  file: string;
  /** The object's own line (its first key). */
  line: number;
  value: unknown;
  lineOf(path: readonly PathSegment[]): number;
}

/** A problem with a file as a whole: unreadable, not YAML, too big... */
export interface FileProblem {
  file: string;
  line: number;
  message: string;
}

export interface Loaded {
  objects: LoadedObject[];
  problems: FileProblem[];
  files: number;
}

/** Expands folders into the YAML/JSON files under them (sorted, hidden entries skipped). */
export function collectFiles(paths: readonly string[], problems: FileProblem[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && YAML_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  for (const p of paths) {
    try {
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    } catch (e) {
      problems.push({
        file: p,
        line: 1,
        message: `cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`,
      });
    }
  }
  return out;
}

/** Reads at most MAX_FILE_BYTES + 1 bytes, so that a huge file is refused without reading it all. */
function readLimited(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0 || length + n >= buf.length) return buf.subarray(0, length + n);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

function decodeText(file: string, bytes: Buffer): { text: string } | FileProblem {
  if (bytes.length > MAX_FILE_BYTES) {
    const mib = (statSync(file).size / 1024 / 1024).toFixed(1);
    return {
      file,
      line: 1,
      message: `file is ${mib} MiB, above the ${MAX_FILE_BYTES / 1024 / 1024} MiB that sluice lint reads; split it into smaller files`,
    };
  }
  if (bytes.includes(0)) return { file, line: 1, message: 'file is binary (it contains NUL bytes), not YAML' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { file, line: 1, message: 'file is not UTF-8 text; YAML files must be UTF-8' };
  }
}

function nodeAt(doc: Document, base: readonly PathSegment[], path: readonly PathSegment[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const seg of [...base, ...path]) {
    if (isMap(node)) node = node.get(seg, true);
    else if (isSeq(node) && typeof seg === 'number') node = node.get(seg, true);
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node as Node;
}

function objectFor(file: string, doc: Document, lc: LineCounter, value: unknown, base: PathSegment[]): LoadedObject {
  const lineOf = (path: readonly PathSegment[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = nodeAt(doc, base, path.slice(0, n));
      if (node?.range !== undefined && node.range !== null) return lc.linePos(node.range[0]).line;
    }
    return 1;
  };
  return { file, value, line: lineOf([]), lineOf };
}

/** One YAML document: its objects (a `kind: List` is expanded), nothing (empty), or a problem. */
function documentObjects(file: string, doc: Document.Parsed, lc: LineCounter): LoadedObject[] | FileProblem {
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const why = firstError.message.includes('call stack')
      ? 'it nests too deeply'
      : (firstError.message.split('\n')[0] ?? '');
    return { file, line: lc.linePos(firstError.pos[0]).line, message: `not valid YAML: ${why}` };
  }
  if (doc.contents === null) return [];
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const line = lc.linePos(doc.contents.range[0]).line;
    return {
      file,
      line,
      message: `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} uses); refusing a possible alias bomb: ${(e as Error).message}`,
    };
  }
  if (value === null || value === undefined) return []; // an empty document, as kubectl skips it
  const record = value as Record<string, unknown>;
  if (typeof record === 'object' && record['kind'] === 'List' && Array.isArray(record['items'])) {
    return (record['items'] as unknown[]).map((item, i) => objectFor(file, doc, lc, item, ['items', i]));
  }
  return [objectFor(file, doc, lc, value, [])];
}

/** Parses one file's text into objects or file problems. */
export function parseText(file: string, text: string): { objects: LoadedObject[]; problems: FileProblem[] } {
  const objects: LoadedObject[] = [];
  const problems: FileProblem[] = [];
  if (text.trim() === '')
    return {
      objects,
      problems: [
        { file, line: 1, message: 'file is empty: expected at least one Rollout or AnalysisTemplate document' },
      ],
    };
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lc,
    uniqueKeys: true,
    prettyErrors: false,
    // YAML 1.1 like kubectl (yes/no/on/off are booleans), but timestamps stay strings as in Kubernetes.
    version: '1.1',
    merge: true,
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  if (!Array.isArray(docs)) return { objects, problems: [{ file, line: 1, message: 'file has no YAML documents' }] };
  for (const doc of docs) {
    const result = documentObjects(file, doc, lc);
    if (Array.isArray(result)) objects.push(...result);
    else problems.push(result);
  }
  if (objects.length === 0 && problems.length === 0)
    problems.push({ file, line: 1, message: 'file holds only empty documents' });
  return { objects, problems };
}

export function loadPaths(paths: readonly string[]): Loaded {
  const problems: FileProblem[] = [];
  const files = collectFiles(paths, problems);
  const objects: LoadedObject[] = [];
  for (const file of files) {
    let decoded: { text: string } | FileProblem;
    try {
      decoded = decodeText(file, readLimited(file));
    } catch (e) {
      decoded = { file, line: 1, message: `file cannot be read: ${(e as Error).message}` };
    }
    if (!('text' in decoded)) {
      problems.push(decoded);
      continue;
    }
    try {
      const parsed = parseText(file, decoded.text);
      objects.push(...parsed.objects);
      problems.push(...parsed.problems);
    } catch (e) {
      problems.push({ file, line: 1, message: `file cannot be parsed: ${(e as Error).message}` });
    }
  }
  return { objects, problems, files: files.length };
}
