import { describe, expect, it } from 'vitest';
import { allWindows, humanTime, windowState } from '../../src/schedule/windows.js';

const at = (iso: string): Date => new Date(iso);
const state = (s: Parameters<typeof windowState>[0], iso: string) => {
  const w = windowState(s, at(iso));
  return {
    open: w.open,
    ...(w.opensAt === undefined ? {} : { opensAt: w.opensAt.toISOString() }),
    ...(w.why === undefined ? {} : { why: w.why }),
  };
};

describe('promotion windows', () => {
  const office = { timeZone: 'Europe/Berlin', allow: [{ name: 'office', cron: '0 9 * * *', duration: '8h' }] };

  it('follows the DST changes in Europe/Berlin (09:00 local is 08:00Z in winter, 07:00Z in summer)', () => {
    expect(state(office, '2026-03-28T07:30:00Z')).toMatchObject({ open: false, opensAt: '2026-03-28T08:00:00.000Z' }); // Saturday before the change: CET
    expect(state(office, '2026-03-29T06:30:00Z')).toMatchObject({ open: false, opensAt: '2026-03-29T07:00:00.000Z' }); // the day of the change: CEST
    expect(state(office, '2026-03-29T07:30:00Z').open).toBe(true);
    expect(state(office, '2026-10-25T07:30:00Z')).toMatchObject({ open: false, opensAt: '2026-10-25T08:00:00.000Z' }); // back to CET
    expect(state(office, '2026-10-25T15:59:00Z').open).toBe(true); // 16:59 local, 8 h after 09:00
    expect(state(office, '2026-10-25T16:00:00Z')).toMatchObject({
      open: false,
      why: 'outside the allowed windows',
      opensAt: '2026-10-26T08:00:00.000Z',
    });
  });

  it('follows the DST changes in America/New_York', () => {
    const ny = { timeZone: 'America/New_York', allow: [{ cron: '0 9 * * 1-5', duration: '8h' }] };
    expect(state(ny, '2026-03-06T13:30:00Z').open).toBe(false); // Friday 08:30 EST
    expect(state(ny, '2026-03-06T14:30:00Z').open).toBe(true);
    expect(state(ny, '2026-03-09T12:30:00Z')).toMatchObject({ open: false, opensAt: '2026-03-09T13:00:00.000Z' }); // Monday after the change: EDT
    expect(state(ny, '2026-11-02T13:30:00Z')).toMatchObject({ open: false, opensAt: '2026-11-02T14:00:00.000Z' }); // Monday after the change back: EST
  });

  it('handles a window that spans midnight', () => {
    const night = { timeZone: 'UTC', allow: [{ name: 'night', cron: '0 22 * * *', duration: '4h' }] };
    expect(state(night, '2026-11-26T23:30:00Z').open).toBe(true);
    expect(state(night, '2026-11-27T01:59:00Z').open).toBe(true);
    expect(state(night, '2026-11-27T02:00:00Z')).toMatchObject({ open: false, opensAt: '2026-11-27T22:00:00.000Z' });
  });

  it('freezes from Friday 16:00 to Monday 08:00, and says when it opens', () => {
    const freeze = { timeZone: 'Europe/Berlin', deny: [{ name: 'weekend', cron: '0 16 * * 5', duration: '64h' }] };
    expect(state(freeze, '2026-11-27T14:59:00Z').open).toBe(true); // Friday 15:59 Berlin
    expect(state(freeze, '2026-11-27T15:00:00Z')).toEqual({
      open: false,
      why: 'inside the freeze weekend',
      opensAt: '2026-11-30T07:00:00.000Z',
    });
    expect(state(freeze, '2026-11-29T12:00:00Z').open).toBe(false);
    expect(state(freeze, '2026-11-30T07:00:00Z').open).toBe(true); // Monday 08:00 Berlin
    expect(humanTime(at('2026-11-30T07:00:00Z'), 'Europe/Berlin')).toBe('Mon 08:00 Europe/Berlin');
  });

  it('lets a freeze win over an overlapping allow window, and opens at whichever ends the wait', () => {
    const s = {
      timeZone: 'UTC',
      allow: [{ cron: '0 9 * * 1-5', duration: '8h' }],
      deny: [
        { name: 'release-freeze', start: '2026-11-26T12:00:00Z', end: '2026-11-26T13:00:00Z' },
        { name: 'late', start: '2026-11-26T16:30:00Z', end: '2026-11-27T10:00:00Z' },
      ],
    };
    expect(state(s, '2026-11-26T11:59:00Z').open).toBe(true);
    expect(state(s, '2026-11-26T12:30:00Z')).toEqual({
      open: false,
      why: 'inside the freeze release-freeze',
      opensAt: '2026-11-26T13:00:00.000Z',
    });
    expect(state(s, '2026-11-26T16:45:00Z')).toMatchObject({ open: false, opensAt: '2026-11-27T10:00:00.000Z' });
    expect(state(s, '2026-11-27T18:00:00Z')).toMatchObject({ open: false, opensAt: '2026-11-30T09:00:00.000Z' }); // Friday evening -> Monday
    expect(windowState(undefined, at('2026-11-26T12:30:00Z')).open).toBe(true);
  });

  it('combines cluster-wide defaults with a Rollout schedule that tightens them: open only when both are', () => {
    const defaults = { timeZone: 'UTC', allow: [{ name: 'weekdays', cron: '0 8 * * 1-5', duration: '10h' }] };
    const mine = { timeZone: 'UTC', allow: [{ name: 'afternoons', cron: '0 13 * * *', duration: '3h' }] };
    expect(allWindows([defaults, mine], at('2026-11-26T09:00:00Z'))).toMatchObject({
      open: false,
      opensAt: at('2026-11-26T13:00:00Z'),
    });
    expect(allWindows([defaults, mine], at('2026-11-26T14:00:00Z')).open).toBe(true);
    expect(allWindows([defaults, mine], at('2026-11-28T14:00:00Z'))).toMatchObject({
      open: false,
      opensAt: at('2026-11-30T13:00:00Z'),
    }); // Saturday -> Monday afternoon
    expect(allWindows([undefined, undefined], at('2026-11-28T14:00:00Z')).open).toBe(true);
  });
});
