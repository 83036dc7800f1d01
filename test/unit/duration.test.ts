import { durationMs, formatDuration, parseDuration } from '../../src/core/duration';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1.5h', 5_400_000],
    [' 10s ', 10_000],
  ])('%s = %d ms', (text, ms) => expect(durationMs(text)).toBe(ms));

  it.each(['', '10', 's', '10 s', '10x', '1h1h', '-5s', '5s3'])('rejects %j', (text) => {
    expect(parseDuration(text)).toHaveProperty('error');
  });

  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1000, '1s'],
    [93_784_000, '1d2h3m4s'],
    [3_600_000, '1h'],
  ])('formats %d as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
