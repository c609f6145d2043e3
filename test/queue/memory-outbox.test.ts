import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../src/queue/memory-outbox.js';
import type { OutboxMessage } from '../../src/queue/outbox.js';
import { eventually } from '../sandbox/helpers.js';

const log = pino({ level: 'silent' });
const msg = (stream: string, id: string): OutboxMessage => ({ id, stream, channel: 'test', payload: id });

describe('in-memory outbox', () => {
  it('delivers in order per stream, each id once, retrying a failure without reordering, then dead-lettering', async () => {
    const box = new MemoryOutbox({ log, backoffMs: 10, maxAttempts: 3 });
    const delivered: string[] = [];
    let failures = 2;
    await box.start(async (m) => {
      if (m.id === 'a2' && failures-- > 0) throw new Error('HTTP 502');
      if (m.id === 'b1') throw new Error('HTTP 500 forever');
      delivered.push(m.id);
      await Promise.resolve();
    });
    for (const id of ['a1', 'a2', 'a3']) await box.send(msg('a', id));
    expect(await box.send(msg('a', 'a1'))).toBe(false);
    await box.send(msg('b', 'b1'));
    await box.send(msg('b', 'b2'));
    await eventually('all delivered', () => delivered.length === 4, 5000);
    expect(delivered.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(delivered).toContain('b2');
    expect((await box.deadLetters()).map((d) => [d.id, d.attempts, d.error])).toEqual([['b1', 3, 'HTTP 500 forever']]);
    await box.close();
  });
});
