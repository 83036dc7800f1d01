import { applyRetention, isoWeek, localParts } from '../../src/backup/model/retention';
import type { RetentionItem, RetentionPolicy } from '../../src/backup/model/retention';

const H = 3_600_000;
const D = 24 * H;

function items(times: string[]): RetentionItem[] {
  return times.map((t, i) => ({
    id: `b${String(i).padStart(3, '0')}`,
    createdAt: new Date(t).toISOString(),
  }));
}

function kept(
  list: RetentionItem[],
  p: RetentionPolicy,
  tz = 'UTC',
  now = Date.parse('2030-01-01T00:00:00Z'),
): string[] {
  return applyRetention(list, p, tz, now)
    .filter((d) => d.keep)
    .map((d) => d.createdAt.slice(0, 16));
}

/** One backup per day at 02:00 UTC for n days ending 2026-03-31. */
function daily(n: number): RetentionItem[] {
  const end = Date.parse('2026-03-31T02:00:00Z');
  return items(Array.from({ length: n }, (_, i) => new Date(end - (n - 1 - i) * D).toISOString()));
}

describe('retention (restic forget semantics)', () => {
  it('keepLast keeps the n newest', () => {
    expect(kept(daily(10), { keepLast: 3 })).toEqual([
      '2026-03-31T02:00',
      '2026-03-30T02:00',
      '2026-03-29T02:00',
    ]);
  });

  it('keepDaily keeps the newest backup of each of the n newest days', () => {
    const list = items([
      '2026-03-01T01:00Z',
      '2026-03-01T09:00Z',
      '2026-03-02T01:00Z',
      '2026-03-02T23:59Z',
      '2026-03-04T12:00Z',
    ]);
    expect(kept(list, { keepDaily: 2 })).toEqual(['2026-03-04T12:00', '2026-03-02T23:59']);
  });

  it('a rule with counts left keeps the oldest backup too', () => {
    // 3 days of backups, keepDaily 5: every day is kept, and the oldest as "oldest daily".
    const list = items(['2026-03-01T01:00Z', '2026-03-01T09:00Z', '2026-03-02T01:00Z']);
    const d = applyRetention(list, { keepDaily: 5 }, 'UTC', Date.parse('2030-01-01Z'));
    expect(d.map((x) => [x.createdAt.slice(0, 16), x.keep, x.reasons.join('+')])).toEqual([
      ['2026-03-02T01:00', true, 'daily'],
      ['2026-03-01T09:00', true, 'daily'],
      ['2026-03-01T01:00', true, 'oldest daily'],
    ]);
  });

  it('weekly buckets are ISO weeks (Monday to Sunday)', () => {
    // Sun 2026-03-01 is in ISO week 9; Mon 2026-03-02 starts week 10.
    const list = items(['2026-02-28T10:00Z', '2026-03-01T10:00Z', '2026-03-02T10:00Z', '2026-03-08T10:00Z']);
    expect(kept(list, { keepWeekly: 2 })).toEqual(['2026-03-08T10:00', '2026-03-01T10:00']);
  });

  it('monthly and yearly take the newest of each period', () => {
    const list = items([
      '2024-12-31T23:00Z',
      '2025-01-15T00:00Z',
      '2025-06-01T00:00Z',
      '2025-06-30T00:00Z',
      '2025-12-01T00:00Z',
    ]);
    expect(kept(list, { keepMonthly: 2 })).toEqual(['2025-12-01T00:00', '2025-06-30T00:00']);
    expect(kept(list, { keepYearly: 5 })).toEqual(['2025-12-01T00:00', '2024-12-31T23:00']);
  });

  it('keepWithin is relative to the latest backup, not to now', () => {
    const list = daily(10); // latest 2026-03-31
    expect(kept(list, { keepWithinMs: 2 * D + H })).toEqual([
      '2026-03-31T02:00',
      '2026-03-30T02:00',
      '2026-03-29T02:00',
    ]);
    // A backup dated in the future does not move the window.
    const withFuture = [...list, { id: 'future', createdAt: '2040-01-01T00:00:00.000Z' }];
    expect(kept(withFuture, { keepWithinMs: D + H })).toEqual([
      '2040-01-01T00:00',
      '2026-03-31T02:00',
      '2026-03-30T02:00',
    ]);
  });

  it('a backup is kept when any rule keeps it, with every reason', () => {
    const d = applyRetention(
      daily(40),
      { keepLast: 2, keepDaily: 3, keepWeekly: 2, keepMonthly: 2 },
      'UTC',
      Date.parse('2030-01-01Z'),
    );
    const byDay = Object.fromEntries(
      d.filter((x) => x.keep).map((x) => [x.createdAt.slice(0, 10), x.reasons]),
    );
    expect(byDay).toEqual({
      '2026-03-31': ['last', 'daily', 'weekly', 'monthly'],
      '2026-03-30': ['last', 'daily'],
      '2026-03-29': ['daily', 'weekly'], // Sunday: end of ISO week 13
      '2026-02-28': ['monthly'],
    });
  });

  it('"unlimited" keeps every period', () => {
    expect(kept(daily(5), { keepDaily: 'unlimited' })).toHaveLength(5);
  });

  it('buckets use the set’s time zone', () => {
    // 23:30 UTC on the 1st and 00:30 UTC on the 2nd are the same day in New York.
    const list = items(['2026-03-01T23:30Z', '2026-03-02T00:30Z']);
    expect(kept(list, { keepDaily: 5 }, 'UTC')).toHaveLength(2);
    const ny = applyRetention(list, { keepDaily: 1 }, 'America/New_York', Date.parse('2030-01-01Z'));
    expect(ny.filter((x) => x.keep).map((x) => x.createdAt)).toEqual(['2026-03-02T00:30:00.000Z']);
  });

  it('never removes the newest backup and keeps all with an empty policy', () => {
    expect(kept(daily(3), {})).toHaveLength(3);
    expect(applyRetention(daily(3), {}, 'UTC', 0)[0]!.reasons).toEqual(['no retention policy']);
    expect(kept(daily(3), { keepDaily: 0, keepWeekly: 0 })[0]).toBe('2026-03-31T02:00');
  });

  it('orders newest first and breaks ties by id', () => {
    const list = [
      { id: 'a', createdAt: '2026-01-01T00:00:00.000Z' },
      { id: 'b', createdAt: '2026-01-01T00:00:00.000Z' },
    ];
    expect(applyRetention(list, { keepLast: 1 }, 'UTC', Date.now()).map((x) => [x.id, x.keep])).toEqual([
      ['b', true],
      ['a', false],
    ]);
  });

  it('computes ISO weeks at year boundaries', () => {
    expect(isoWeek(2026, 1, 1)).toEqual({ year: 2026, week: 1 }); // Thursday
    expect(isoWeek(2027, 1, 1)).toEqual({ year: 2026, week: 53 }); // Friday
    expect(isoWeek(2024, 12, 30)).toEqual({ year: 2025, week: 1 }); // Monday
    expect(localParts(Date.parse('2026-06-01T22:30:00Z'), 'Europe/Berlin')).toEqual({
      year: 2026,
      month: 6,
      day: 2,
      hour: 0,
    });
  });
});
