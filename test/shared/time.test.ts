import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AGO_UNITS,
  PERIODS,
  instantOfWallClock,
  isRelativeTime,
  isValidTimeZone,
  relativeTimeSchema,
  resolveRelativeTime,
  wallClock,
  zonedDate,
  zonedIso,
  type RelativeTime,
} from '../../src/shared/time.js';

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const KOLKATA = 'Asia/Kolkata'; // +05:30, no DST
const HOUR = 3_600_000;

/** The ISO (UTC) instant a relative value resolves to. */
const resolve = (value: RelativeTime, now: string, zone: string) => resolveRelativeTime(value, new Date(now), zone).toISOString();
const hoursBetween = (later: string, earlier: string) => (Date.parse(later) - Date.parse(earlier)) / HOUR;

describe('isValidTimeZone', () => {
  it.each(['UTC', PARIS, NEW_YORK, KOLKATA, 'America/Santiago', 'Australia/Lord_Howe'])('accepts %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['', 'Mars/Olympus', 'not a zone', '+05:30', '-03:00', 'UTC; DROP TABLE users', 'Europe/Paris\u0000'])('refuses %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('wallClock, zonedIso, zonedDate', () => {
  it.each([
    ['UTC', '2026-11-17 10:15:00', '2026-11-17T10:15:00Z'],
    [PARIS, '2026-11-17 11:15:00', '2026-11-17T11:15:00+01:00'],
    [NEW_YORK, '2026-11-17 05:15:00', '2026-11-17T05:15:00-05:00'],
    [KOLKATA, '2026-11-17 15:45:00', '2026-11-17T15:45:00+05:30'],
  ])('renders a winter instant in %s', (zone, wall, iso) => {
    const instant = new Date('2026-11-17T10:15:00Z');
    expect(wallClock(instant, zone)).toBe(wall);
    expect(zonedIso(instant, zone)).toBe(iso);
  });

  it.each([
    ['UTC', '2026-07-01 12:00:00.500', '2026-07-01T12:00:00.500Z'],
    [PARIS, '2026-07-01 14:00:00.500', '2026-07-01T14:00:00.500+02:00'],
    [NEW_YORK, '2026-07-01 08:00:00.500', '2026-07-01T08:00:00.500-04:00'],
    [KOLKATA, '2026-07-01 17:30:00.500', '2026-07-01T17:30:00.500+05:30'],
  ])('renders a summer instant with milliseconds in %s', (zone, wall, iso) => {
    const instant = new Date('2026-07-01T12:00:00.500Z');
    expect(wallClock(instant, zone)).toBe(wall);
    expect(zonedIso(instant, zone)).toBe(iso);
  });

  it('writes milliseconds only when they are not 0', () => {
    expect(wallClock(new Date('2026-07-01T12:00:00.000Z'), 'UTC')).toBe('2026-07-01 12:00:00');
    expect(wallClock(new Date('2026-07-01T12:00:00.001Z'), 'UTC')).toBe('2026-07-01 12:00:00.001');
    expect(zonedIso(new Date('2026-07-01T12:00:00.040Z'), PARIS)).toBe('2026-07-01T14:00:00.040+02:00');
  });

  it('switches offset at the instant of a DST change', () => {
    expect(zonedIso(new Date('2026-03-29T00:59:59Z'), PARIS)).toBe('2026-03-29T01:59:59+01:00');
    expect(zonedIso(new Date('2026-03-29T01:00:00Z'), PARIS)).toBe('2026-03-29T03:00:00+02:00');
    // Both sides of the New York fall-back overlap show 01:30, with different offsets.
    expect(zonedIso(new Date('2026-11-01T05:30:00Z'), NEW_YORK)).toBe('2026-11-01T01:30:00-04:00');
    expect(zonedIso(new Date('2026-11-01T06:30:00Z'), NEW_YORK)).toBe('2026-11-01T01:30:00-05:00');
  });

  it('writes Z for a zone whose offset is 0 at that instant only', () => {
    expect(zonedIso(new Date('2026-01-15T12:00:00Z'), 'Europe/London')).toBe('2026-01-15T12:00:00Z');
    expect(zonedIso(new Date('2026-07-15T12:00:00Z'), 'Europe/London')).toBe('2026-07-15T13:00:00+01:00');
  });

  it('writes an offset with seconds as such (local mean time)', () => {
    expect(zonedIso(new Date('1900-01-01T00:00:00Z'), PARIS)).toBe('1900-01-01T00:09:21+00:09:21');
  });

  it.each([
    ['2026-11-17T23:30:00Z', 'UTC', '2026-11-17'],
    ['2026-11-17T23:30:00Z', PARIS, '2026-11-18'],
    ['2026-11-17T23:30:00Z', NEW_YORK, '2026-11-17'],
    ['2026-11-17T23:30:00Z', KOLKATA, '2026-11-18'],
    ['2026-11-17T03:00:00Z', NEW_YORK, '2026-11-16'],
    ['2026-11-17T18:29:59Z', KOLKATA, '2026-11-17'],
    ['2026-11-17T18:30:00Z', KOLKATA, '2026-11-18'],
  ])('zonedDate(%s, %s) = %s', (instant, zone, date) => {
    expect(zonedDate(new Date(instant), zone)).toBe(date);
  });

  it('writes years 1 to 9999 with four digits', () => {
    expect(wallClock(new Date('0001-01-01T00:00:00Z'), 'UTC')).toBe('0001-01-01 00:00:00');
    expect(wallClock(new Date('0099-06-15T00:00:00Z'), 'UTC')).toBe('0099-06-15 00:00:00');
    expect(zonedDate(new Date('0099-06-15T00:00:00Z'), 'UTC')).toBe('0099-06-15');
    expect(zonedIso(new Date('0999-06-15T00:00:00Z'), 'UTC')).toBe('0999-06-15T00:00:00Z');
    expect(wallClock(new Date('9999-12-31T23:59:59Z'), 'UTC')).toBe('9999-12-31 23:59:59');
    expect(zonedDate(new Date('2000-01-01T00:00:00Z'), KOLKATA)).toBe('2000-01-01');
  });

  it('reads years before 1 (BC) and past 9999 in ISO 8601 expanded form', () => {
    expect(wallClock(new Date('-000974-06-15T00:00:00Z'), PARIS)).toBe('-000974-06-15 00:09:21');
    expect(zonedIso(new Date('-000974-06-15T00:00:00Z'), PARIS)).toBe('-000974-06-15T00:09:21+00:09:21');
    expect(zonedDate(new Date('+010000-01-01T12:00:00Z'), NEW_YORK)).toBe('+010000-01-01');
    expect(wallClock(resolveRelativeTime({ ago: { years: 3000 } }, new Date('2026-06-15T00:00:00Z'), 'UTC'), 'UTC')).toBe('-000974-06-15 00:00:00');
  });

  it('refuses an invalid date', () => {
    expect(() => wallClock(new Date('nope'), 'UTC')).toThrow(RangeError);
    expect(() => zonedIso(new Date(Number.NaN), PARIS)).toThrow(RangeError);
  });

  it('round-trips any instant through its ISO form and its wall clock (property)', () => {
    const zones = fc.constantFrom('UTC', PARIS, NEW_YORK, KOLKATA, 'America/Santiago', 'Australia/Lord_Howe');
    const instants = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(instants, zones, (instant, zone) => {
        expect(new Date(zonedIso(instant, zone)).getTime()).toBe(instant.getTime());
        const wall = wallClock(instant, zone);
        expect(zonedDate(instant, zone)).toBe(wall.slice(0, 10));
        // The wall clock names this instant, or (in an overlap) an earlier one showing the same time.
        const back = instantOfWallClock(wall, zone);
        expect(wallClock(back, zone)).toBe(wall);
        expect(back.getTime()).toBeLessThanOrEqual(instant.getTime());
        expect(instant.getTime() - back.getTime()).toBeLessThanOrEqual(HOUR);
      }),
      { numRuns: 500 },
    );
  });
});

describe('instantOfWallClock', () => {
  it.each([
    ['2026-11-17 10:15:00', 'UTC', '2026-11-17T10:15:00.000Z'],
    ['2026-11-17T10:15', 'UTC', '2026-11-17T10:15:00.000Z'],
    ['2026-07-01 14:00:00', PARIS, '2026-07-01T12:00:00.000Z'],
    ['2026-07-01T14:00:00.250', PARIS, '2026-07-01T12:00:00.250Z'],
    ['2026-01-10 14:00:00', PARIS, '2026-01-10T13:00:00.000Z'],
    ['2026-07-01T08:00:00', NEW_YORK, '2026-07-01T12:00:00.000Z'],
    ['2026-01-01 00:00:00', KOLKATA, '2025-12-31T18:30:00.000Z'],
    ['0099-06-15 00:00:00', 'UTC', '0099-06-15T00:00:00.000Z'],
  ])('%s in %s is %s', (wall, zone, iso) => {
    expect(instantOfWallClock(wall, zone).toISOString()).toBe(iso);
  });

  it('keeps milliseconds and drops digits past them', () => {
    expect(instantOfWallClock('2026-07-01T14:00:00.5', PARIS).toISOString()).toBe('2026-07-01T12:00:00.500Z');
    expect(instantOfWallClock('2026-07-01 14:00:00.123456', PARIS).toISOString()).toBe('2026-07-01T12:00:00.123Z');
  });

  it('moves a time in a DST gap forward by the gap', () => {
    // Paris skips 02:00–03:00 on 2026-03-29: 02:30 becomes 03:30 CEST.
    expect(instantOfWallClock('2026-03-29 02:30:00', PARIS).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(instantOfWallClock('2026-03-29 02:00:00', PARIS).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    // New York skips 02:00–03:00 on 2026-03-08.
    expect(instantOfWallClock('2026-03-08 02:30:00', NEW_YORK).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(instantOfWallClock('2026-03-08 01:59:59', NEW_YORK).toISOString()).toBe('2026-03-08T06:59:59.000Z');
  });

  it('takes the earlier instant in a DST overlap', () => {
    // Paris shows 02:00–03:00 twice on 2026-10-25 (CEST, then CET).
    expect(instantOfWallClock('2026-10-25 02:30:00', PARIS).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(instantOfWallClock('2026-10-25 03:00:00', PARIS).toISOString()).toBe('2026-10-25T02:00:00.000Z');
    // New York shows 01:00–02:00 twice on 2026-11-01 (EDT, then EST).
    expect(instantOfWallClock('2026-11-01 01:30:00', NEW_YORK).toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });

  it.each(['2026-02-30 00:00:00', '2026-13-01 00:00:00', '2026-01-01 24:00:00', '2026-01-01 10:60:00', '2026-01-01', 'yesterday', '2026-01-01 10:00:00Z'])(
    'refuses %j',
    (wall) => {
      expect(() => instantOfWallClock(wall, 'UTC')).toThrow(/expected a wall-clock time/);
    },
  );
});

describe('resolveRelativeTime: now', () => {
  it('truncates the clock to whole seconds', () => {
    expect(resolve('now', '2026-11-17T10:15:42.789Z', PARIS)).toBe('2026-11-17T10:15:42.000Z');
    // Floor, not towards zero, before 1970.
    expect(resolve('now', '1969-12-31T23:59:59.500Z', 'UTC')).toBe('1969-12-31T23:59:59.000Z');
  });
});

describe('resolveRelativeTime: ago', () => {
  it('subtracts days on the wall clock, so a week across DST is 167 or 169 hours', () => {
    const now = '2026-11-17T10:15:42.345Z';
    expect(resolve({ ago: { days: 7 } }, now, 'UTC')).toBe('2026-11-10T10:15:42.000Z');
    // Paris, spring forward on 2026-03-29: 12:00 CEST on the 31st → 12:00 CET on the 24th.
    const paris = resolve({ ago: { days: 7 } }, '2026-03-31T10:00:00Z', PARIS);
    expect(paris).toBe('2026-03-24T11:00:00.000Z');
    expect(hoursBetween('2026-03-31T10:00:00Z', paris)).toBe(167);
    expect(resolve({ ago: { weeks: 1 } }, '2026-03-31T10:00:00Z', PARIS)).toBe(paris);
    // New York, fall back on 2026-11-01: 12:00 EST on the 4th → 12:00 EDT on Oct 28.
    const fall = resolve({ ago: { days: 7 } }, '2026-11-04T17:00:00Z', NEW_YORK);
    expect(fall).toBe('2026-10-28T16:00:00.000Z');
    expect(hoursBetween('2026-11-04T17:00:00Z', fall)).toBe(169);
    const spring = resolve({ ago: { days: 7 } }, '2026-03-10T16:00:00Z', NEW_YORK);
    expect(spring).toBe('2026-03-03T17:00:00.000Z');
    expect(hoursBetween('2026-03-10T16:00:00Z', spring)).toBe(167);
    expect(hoursBetween('2026-03-31T10:00:00Z', resolve({ ago: { days: 7 } }, '2026-03-31T10:00:00Z', KOLKATA))).toBe(168);
  });

  it('clamps the day of month when subtracting months and years', () => {
    expect(resolve({ ago: { months: 1 } }, '2026-03-31T08:00:00Z', 'UTC')).toBe('2026-02-28T08:00:00.000Z');
    expect(resolve({ ago: { months: 1 } }, '2024-03-31T08:00:00Z', 'UTC')).toBe('2024-02-29T08:00:00.000Z');
    expect(resolve({ ago: { months: 1 } }, '2026-05-31T08:00:00Z', 'UTC')).toBe('2026-04-30T08:00:00.000Z');
    expect(resolve({ ago: { years: 1 } }, '2024-02-29T12:00:00Z', 'UTC')).toBe('2023-02-28T12:00:00.000Z');
    expect(resolve({ ago: { years: 4 } }, '2024-02-29T12:00:00Z', 'UTC')).toBe('2020-02-29T12:00:00.000Z');
    expect(resolve({ ago: { months: 13 } }, '2026-01-15T00:00:00Z', 'UTC')).toBe('2024-12-15T00:00:00.000Z');
    expect(resolve({ ago: { years: 1000 } }, '2026-11-17T10:15:42Z', 'UTC')).toBe('1026-11-17T10:15:42.000Z');
  });

  it('applies months before days', () => {
    // Mar 31 − 1 month = Feb 28, − 1 day = Feb 27 (days first would give Mar 30 → Feb 28).
    expect(resolve({ ago: { months: 1, days: 1 } }, '2026-03-31T08:00:00Z', 'UTC')).toBe('2026-02-27T08:00:00.000Z');
  });

  it('subtracts months on the zone’s wall clock', () => {
    // 12:00 CEST on Mar 31 → 12:00 CET on Feb 28.
    expect(resolve({ ago: { months: 1 } }, '2026-03-31T10:00:00Z', PARIS)).toBe('2026-02-28T11:00:00.000Z');
    // In Kolkata it is already Mar 31 01:30, so one month back is Feb 28 01:30 IST (in UTC it would be Feb 28 20:00).
    expect(resolve({ ago: { months: 1 } }, '2026-03-30T20:00:00Z', KOLKATA)).toBe('2026-02-27T20:00:00.000Z');
    expect(resolve({ ago: { months: 1 } }, '2026-03-30T20:00:00Z', 'UTC')).toBe('2026-02-28T20:00:00.000Z');
  });

  it('subtracts hours and minutes from the instant, not the wall clock', () => {
    // 05:00 CEST minus 3 hours is 01:00 CET: four hours on the wall clock.
    const paris = resolveRelativeTime({ ago: { hours: 3 } }, new Date('2026-03-29T03:00:00Z'), PARIS);
    expect(paris.toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(wallClock(paris, PARIS)).toBe('2026-03-29 01:00:00');
    // 02:00 EST minus 2 hours is 01:00 EDT, the first 01:00 of the fall-back day.
    const newYork = resolveRelativeTime({ ago: { hours: 2 } }, new Date('2026-11-01T07:00:00Z'), NEW_YORK);
    expect(newYork.toISOString()).toBe('2026-11-01T05:00:00.000Z');
    expect(zonedIso(newYork, NEW_YORK)).toBe('2026-11-01T01:00:00-04:00');
    expect(resolve({ ago: { minutes: 90 } }, '2026-11-17T10:15:42Z', KOLKATA)).toBe('2026-11-17T08:45:42.000Z');
  });

  it('applies hours after the calendar units', () => {
    // Mar 9 12:00 EDT − 1 day = Mar 8 12:00 EDT (16:00Z), − 26 hours = Mar 7 14:00Z (09:00 EST).
    expect(resolve({ ago: { days: 1, hours: 26 } }, '2026-03-09T16:00:00Z', NEW_YORK)).toBe('2026-03-07T14:00:00.000Z');
  });

  it('moves a wall-clock result in a DST gap forward, and takes the earlier one in an overlap', () => {
    // 02:30 on 2026-03-29 does not exist in Paris → 03:30 CEST.
    expect(resolve({ ago: { days: 1 } }, '2026-03-30T00:30:00Z', PARIS)).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 on 2026-10-25 exists twice in Paris → the CEST one.
    expect(resolve({ ago: { days: 1 } }, '2026-10-26T01:30:00Z', PARIS)).toBe('2026-10-25T00:30:00.000Z');
    expect(resolve({ ago: { days: 1 } }, '2026-11-02T06:30:00Z', NEW_YORK)).toBe('2026-11-01T05:30:00.000Z');
  });

  it('leaves the instant alone when no calendar unit moves the wall clock', () => {
    // 01:30 EST (the second 01:30) stays itself instead of snapping to the earlier 01:30 EDT.
    expect(resolve({ ago: { days: 0 } }, '2026-11-01T06:30:00Z', NEW_YORK)).toBe('2026-11-01T06:30:00.000Z');
    expect(resolve({ ago: { days: 0, hours: 1 } }, '2026-11-01T06:30:00Z', NEW_YORK)).toBe('2026-11-01T05:30:00.000Z');
  });
});

describe('resolveRelativeTime: start_of', () => {
  const now = '2026-11-17T10:15:42.345Z'; // a Tuesday
  it.each([
    ['day', -1, '2026-11-16'],
    ['day', 0, '2026-11-17'],
    ['day', 1, '2026-11-18'],
    ['week', -1, '2026-11-09'],
    ['week', 0, '2026-11-16'],
    ['week', 1, '2026-11-23'],
    ['month', -1, '2026-10-01'],
    ['month', 0, '2026-11-01'],
    ['month', 1, '2026-12-01'],
    ['quarter', -1, '2026-07-01'],
    ['quarter', 0, '2026-10-01'],
    ['quarter', 1, '2027-01-01'],
    ['year', -1, '2025-01-01'],
    ['year', 0, '2026-01-01'],
    ['year', 1, '2027-01-01'],
  ] as const)('%s with offset %d in UTC', (period, offset, date) => {
    expect(resolve({ start_of: period, offset }, now, 'UTC')).toBe(`${date}T00:00:00.000Z`);
  });

  it('defaults offset to 0', () => {
    expect(resolve({ start_of: 'month' }, now, 'UTC')).toBe('2026-11-01T00:00:00.000Z');
  });

  it.each([
    ['2026-01-01T05:00:00Z', 'day', -1, '2025-12-31'],
    ['2026-01-01T05:00:00Z', 'week', 0, '2025-12-29'],
    ['2026-01-01T05:00:00Z', 'month', -1, '2025-12-01'],
    ['2026-01-01T05:00:00Z', 'quarter', -1, '2025-10-01'],
    ['2026-01-01T05:00:00Z', 'quarter', 0, '2026-01-01'],
    ['2026-01-01T05:00:00Z', 'year', -1, '2025-01-01'],
    ['2026-01-15T05:00:00Z', 'month', -13, '2024-12-01'],
    ['2026-12-31T23:59:59Z', 'day', 1, '2027-01-01'],
    ['2026-12-31T23:59:59Z', 'week', 1, '2027-01-04'],
    ['2026-12-31T23:59:59Z', 'month', 1, '2027-01-01'],
    ['2026-12-31T23:59:59Z', 'quarter', 1, '2027-01-01'],
    ['2026-12-31T23:59:59Z', 'quarter', -5, '2025-07-01'],
    ['2026-03-31T12:00:00Z', 'quarter', 0, '2026-01-01'],
    ['2026-04-01T00:00:00Z', 'quarter', 0, '2026-04-01'],
    ['2026-06-30T23:59:59Z', 'quarter', 0, '2026-04-01'],
    ['2026-07-01T00:00:00Z', 'quarter', 0, '2026-07-01'],
    ['2026-02-28T12:00:00Z', 'day', 1, '2026-03-01'],
    ['2024-02-28T12:00:00Z', 'day', 1, '2024-02-29'],
    ['2026-11-17T10:00:00Z', 'year', 1000, '3026-01-01'],
    ['2026-11-17T10:00:00Z', 'year', -1000, '1026-01-01'],
  ] as const)('from %s, %s with offset %d crosses to %s', (at, period, offset, date) => {
    expect(resolve({ start_of: period, offset }, at, 'UTC')).toBe(`${date}T00:00:00.000Z`);
  });

  it('starts weeks on Monday', () => {
    // Sunday 2026-11-22, late: still the week of Monday the 16th.
    expect(resolve({ start_of: 'week' }, '2026-11-22T23:59:59Z', 'UTC')).toBe('2026-11-16T00:00:00.000Z');
    expect(resolve({ start_of: 'week' }, '2026-11-15T12:00:00Z', 'UTC')).toBe('2026-11-09T00:00:00.000Z');
    // Monday at midnight is its own week's start.
    expect(resolve({ start_of: 'week' }, '2026-11-16T00:00:00Z', 'UTC')).toBe('2026-11-16T00:00:00.000Z');
    expect(resolve({ start_of: 'week', offset: -1 }, '2026-11-16T00:00:00Z', 'UTC')).toBe('2026-11-09T00:00:00.000Z');
  });

  it('reads the weekday on the zone’s wall clock', () => {
    // 03:00Z on Monday the 23rd is still Sunday 22:00 in New York.
    expect(resolve({ start_of: 'week' }, '2026-11-23T03:00:00Z', NEW_YORK)).toBe('2026-11-16T05:00:00.000Z');
    expect(resolve({ start_of: 'week' }, '2026-11-23T03:00:00Z', 'UTC')).toBe('2026-11-23T00:00:00.000Z');
    // 19:00Z on Sunday the 15th is already Monday 00:30 in Kolkata.
    expect(resolve({ start_of: 'week' }, '2026-11-15T19:00:00Z', KOLKATA)).toBe('2026-11-15T18:30:00.000Z');
  });

  it('takes each start at the offset the zone has then', () => {
    const at = '2026-11-17T10:15:00Z';
    expect(resolve({ start_of: 'day' }, at, PARIS)).toBe('2026-11-16T23:00:00.000Z');
    expect(resolve({ start_of: 'month' }, at, PARIS)).toBe('2026-10-31T23:00:00.000Z');
    // October 1 is still summer time.
    expect(resolve({ start_of: 'month', offset: -1 }, at, PARIS)).toBe('2026-09-30T22:00:00.000Z');
    expect(resolve({ start_of: 'quarter' }, at, PARIS)).toBe('2026-09-30T22:00:00.000Z');
    expect(resolve({ start_of: 'year' }, at, PARIS)).toBe('2025-12-31T23:00:00.000Z');
    expect(resolve({ start_of: 'year', offset: 1 }, at, PARIS)).toBe('2026-12-31T23:00:00.000Z');
    expect(resolve({ start_of: 'day' }, '2026-11-17T20:00:00Z', KOLKATA)).toBe('2026-11-17T18:30:00.000Z');
    expect(resolve({ start_of: 'quarter' }, at, KOLKATA)).toBe('2026-09-30T18:30:00.000Z');
    expect(resolve({ start_of: 'day' }, at, NEW_YORK)).toBe('2026-11-17T05:00:00.000Z');
  });

  it('starts a DST-change day at its midnight, so that day lasts 23 or 25 hours', () => {
    const start = resolveRelativeTime({ start_of: 'day' }, new Date('2026-03-29T10:00:00Z'), PARIS);
    expect(zonedIso(start, PARIS)).toBe('2026-03-29T00:00:00+01:00');
    const next = resolve({ start_of: 'day', offset: 1 }, '2026-03-29T10:00:00Z', PARIS);
    expect(next).toBe('2026-03-29T22:00:00.000Z');
    expect(hoursBetween(next, start.toISOString())).toBe(23);
    const fallStart = resolve({ start_of: 'day' }, '2026-10-25T12:00:00Z', PARIS);
    expect(fallStart).toBe('2026-10-24T22:00:00.000Z');
    expect(hoursBetween(resolve({ start_of: 'day', offset: 1 }, '2026-10-25T12:00:00Z', PARIS), fallStart)).toBe(25);
    expect(resolve({ start_of: 'day' }, '2026-11-01T18:00:00Z', NEW_YORK)).toBe('2026-11-01T04:00:00.000Z');
    expect(resolve({ start_of: 'day' }, '2026-03-08T18:00:00Z', NEW_YORK)).toBe('2026-03-08T05:00:00.000Z');
  });

  it('gives the first instant of a day whose midnight a DST gap skips', () => {
    // Santiago springs forward at 00:00 (−04 → −03) on 2026-09-06: the day starts at 01:00.
    const santiago = resolveRelativeTime({ start_of: 'day' }, new Date('2026-09-06T16:00:00Z'), 'America/Santiago');
    expect(santiago.toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(zonedIso(santiago, 'America/Santiago')).toBe('2026-09-06T01:00:00-03:00');
    expect(resolve({ start_of: 'day', offset: 1 }, '2026-09-05T16:00:00Z', 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z');
    expect(resolve({ start_of: 'day' }, '2026-09-05T16:00:00Z', 'America/Santiago')).toBe('2026-09-05T04:00:00.000Z');
    // Beirut springs forward at 00:00 (+02 → +03) on 2026-03-29.
    const beirut = resolveRelativeTime({ start_of: 'day' }, new Date('2026-03-29T09:00:00Z'), 'Asia/Beirut');
    expect(beirut.toISOString()).toBe('2026-03-28T22:00:00.000Z');
    expect(wallClock(beirut, 'Asia/Beirut')).toBe('2026-03-29 01:00:00');
  });

  it('gives the first instant after the gap even when the gap began before midnight', () => {
    // Toronto jumped from 23:30 EST to 00:30 EDT on 1919-03-30: the 31st began at 00:30, not at 00:00 + 1 hour.
    const toronto = resolveRelativeTime({ start_of: 'day' }, new Date('1919-03-31T17:00:00Z'), 'America/Toronto');
    expect(toronto.toISOString()).toBe('1919-03-31T04:30:00.000Z');
    expect(zonedIso(toronto, 'America/Toronto')).toBe('1919-03-31T00:30:00-04:00');
    // A time inside that gap is still shifted by the gap's length.
    expect(instantOfWallClock('1919-03-31 00:00:00', 'America/Toronto').toISOString()).toBe('1919-03-31T05:00:00.000Z');
  });

  it('always lands on a Monday midnight at or before now, a week before the next one (property)', () => {
    const zones = fc.constantFrom('UTC', PARIS, NEW_YORK, KOLKATA);
    const instants = fc.date({ min: new Date('1980-01-01T00:00:00Z'), max: new Date('2080-01-01T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(instants, zones, fc.constantFrom(...PERIODS), (instant, zone, period) => {
        const start = resolveRelativeTime({ start_of: period }, instant, zone);
        const next = resolveRelativeTime({ start_of: period, offset: 1 }, instant, zone);
        expect(start.getTime()).toBeLessThanOrEqual(instant.getTime());
        expect(next.getTime()).toBeGreaterThan(instant.getTime());
        // These zones never skip midnight.
        expect(wallClock(start, zone).slice(11)).toBe('00:00:00');
        expect(wallClock(next, zone).slice(11)).toBe('00:00:00');
        const [, month, day] = zonedDate(start, zone).split('-').map(Number);
        if (period === 'week') expect(new Date(`${zonedDate(start, zone)}T00:00:00Z`).getUTCDay()).toBe(1);
        if (period === 'month' || period === 'quarter' || period === 'year') expect(day).toBe(1);
        if (period === 'quarter') expect([1, 4, 7, 10]).toContain(month);
        if (period === 'year') expect(month).toBe(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('relativeTimeSchema', () => {
  const schema = relativeTimeSchema();
  const messageOf = (value: unknown) => {
    const result = schema.safeParse(value);
    expect(result.success).toBe(false);
    return result.error?.issues.map((issue) => issue.message).join(' | ') ?? '';
  };

  it.each<unknown>([
    'now',
    { ago: { days: 7 } },
    { ago: { days: 0 } },
    { ago: { years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6 } },
    { ago: { minutes: 100_000 } },
    { start_of: 'month' },
    { start_of: 'week', offset: -1 },
    { start_of: 'year', offset: 1000 },
    { start_of: 'quarter', offset: -1000 },
  ])('accepts %j', (value) => {
    expect(schema.parse(value)).toEqual(value);
    expect(isRelativeTime(value)).toBe(true);
  });

  it.each<[unknown, string]>([
    [{ ago: { days: -1 } }, 'ago.days must be a whole number from 0 to 100000'],
    [{ ago: { hours: 1.5 } }, 'ago.hours must be a whole number from 0 to 100000'],
    [{ ago: { minutes: 100_001 } }, 'ago.minutes must be a whole number from 0 to 100000'],
    [{ ago: { days: '7' } }, 'ago.days must be a whole number from 0 to 100000'],
    [{ ago: {} }, 'ago needs at least one of years, months, weeks, days, hours, minutes'],
    [{ ago: { dayz: 1 } }, 'ago takes years, months, weeks, days, hours, minutes; unknown: "dayz"'],
    [{ ago: 7 }, 'ago must be an object such as {"days": 7}'],
    [{ ago: { days: 1 }, at: 'x' }, '{"ago": {...}} takes no other key; unknown: "at"'],
    [{ start_of: 'decade' }, 'start_of must be one of day, week, month, quarter, year'],
    [{ start_of: 'day', offset: 1001 }, 'offset must be a whole number from -1000 to 1000'],
    [{ start_of: 'day', offset: -1001 }, 'offset must be a whole number from -1000 to 1000'],
    [{ start_of: 'day', offset: 0.5 }, 'offset must be a whole number from -1000 to 1000'],
    [{ start_of: 'day', shift: 1 }, '{"start_of": ...} takes "offset" only; unknown: "shift"'],
    [{ ago: { days: 1 }, start_of: 'day' }, 'give either "ago" or "start_of", not both'],
    ['yesterday', 'expected "now", {"ago": {"days": 7}}'],
    ['NOW', 'expected "now"'],
    [5, 'expected "now"'],
    [null, 'expected "now"'],
    [[], 'expected "now"'],
    [{ from: 'now' }, 'expected "now"'],
  ])('refuses %j', (value, message) => {
    expect(messageOf(value)).toContain(message);
    expect(isRelativeTime(value)).toBe(false);
  });

  it('lists every unit and period in the general message', () => {
    const message = messageOf('tomorrow');
    for (const word of [...AGO_UNITS, ...PERIODS]) expect(message).toContain(word);
  });

  it('is one shared instance, so a JSON Schema can reference it', () => {
    expect(relativeTimeSchema()).toBe(schema);
    const json = z.toJSONSchema(z.object({ a: schema, b: schema }), { reused: 'ref' }) as {
      properties: Record<string, { $ref?: string }>;
      $defs?: Record<string, { anyOf?: unknown[] }>;
    };
    const ref = json.properties.a?.$ref;
    expect(ref).toMatch(/^#\/\$defs\//);
    expect(json.properties.b?.$ref).toBe(ref);
    expect(json.$defs?.[String(ref).slice('#/$defs/'.length)]?.anyOf).toHaveLength(3);
  });

  it('tells ISO strings from relative forms', () => {
    expect(isRelativeTime('2026-11-17')).toBe(false);
    expect(isRelativeTime('2026-11-17T10:15:00Z')).toBe(false);
    expect(isRelativeTime(undefined)).toBe(false);
  });
});
