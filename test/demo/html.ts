/** Strict HTML5 parsing for report tests (parse5, failing on any parse error). */
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { expect } from 'vitest';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

/** Parses HTML5 and fails on any parse error, as a strict reader would. */
export function parseStrict(html: string): Element[] {
  const errors: string[] = [];
  const doc = parse(html, { onParseError: (e) => errors.push(`${e.code} at ${e.startLine}:${e.startCol}`) });
  expect(errors).toEqual([]);
  const all: Element[] = [];
  const walk = (n: Node): void => {
    if ('tagName' in n) all.push(n);
    for (const c of 'childNodes' in n ? n.childNodes : []) walk(c);
    if ('content' in n) walk(n.content);
  };
  walk(doc);
  return all;
}

export const attr = (e: Element, name: string): string | undefined => e.attrs.find((a) => a.name === name)?.value;
export const classes = (e: Element): string[] => (attr(e, 'class') ?? '').split(' ');
