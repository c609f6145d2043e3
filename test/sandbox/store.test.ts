import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Store, type KubeObject } from '../../src/sandbox/apiserver/store.js';

const obj = (namespace: string, name: string, uid: string, owners: string[] = []): KubeObject => ({
  metadata: {
    namespace,
    name,
    uid,
    ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'X', name: o, uid: o })),
  },
});

describe('Store indexes', () => {
  it('lists in key order, all or per namespace, after adds, changes and removals', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom('put', 'remove'),
            ns: fc.constantFrom('a', 'b', 'c'),
            name: fc.constantFrom('x', 'y', 'z', 'w'),
          }),
          { maxLength: 40 },
        ),
        (ops) => {
          const store = new Store();
          const model = new Map<string, KubeObject>();
          let n = 0;
          for (const { op, ns, name } of ops) {
            if (op === 'put') model.set(`${ns}/${name}`, store.put('t', obj(ns, name, `u${n++}`)));
            else {
              store.remove('t', ns, name);
              model.delete(`${ns}/${name}`);
            }
            const sorted = [...model.keys()].sort();
            expect(store.list('t').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(sorted);
            for (const only of ['a', 'b', 'c'])
              expect(store.list('t', only).map((o) => `${only}/${o.metadata.name}`)).toEqual(
                sorted.filter((k) => k.startsWith(`${only}/`)),
              );
            // the listed objects are the latest versions
            expect(store.list('t')).toEqual(sorted.map((k) => model.get(k)));
          }
        },
      ),
    );
  });

  it('finds dependents by owner uid and follows owner changes and removals', () => {
    const store = new Store();
    store.put('owners', obj('a', 'owner', 'o1'));
    store.put('kids', obj('a', 'k1', 'c1', ['o1']));
    store.put('kids', obj('a', 'k2', 'c2', ['o1', 'o2']));
    store.put('other', obj('b', 'k3', 'c3', ['o2']));
    expect(
      store
        .dependents('o1')
        .map((d) => d.object.metadata.name)
        .sort(),
    ).toEqual(['k1', 'k2']);
    expect(
      store
        .dependents('o2')
        .map((d) => `${d.storageKey}:${d.object.metadata.name}`)
        .sort(),
    ).toEqual(['kids:k2', 'other:k3']);
    store.put('kids', obj('a', 'k2', 'c2', ['o2'])); // o1 dropped from its owners
    expect(store.dependents('o1').map((d) => d.object.metadata.name)).toEqual(['k1']);
    store.remove('kids', 'a', 'k1');
    expect(store.dependents('o1')).toEqual([]);
    expect(store.hasUid('o1')).toBe(true);
    expect(store.hasUid('c1')).toBe(false);
    store.remove('owners', 'a', 'owner');
    expect(store.hasUid('o1')).toBe(false);
  });
});
