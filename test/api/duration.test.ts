import { describe, expect, it } from 'vitest';
import { parseDuration, formatDuration } from '../../src/api/duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['250ms', 250],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['0s', 0],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '30', '5 minutes', '1d', '-1s', '1.s', 's', '1m 30s', '1e3s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [0, '0s'],
    [250, '250ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_661_001, '1h1m1s1ms'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
