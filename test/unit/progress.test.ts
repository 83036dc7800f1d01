// Progress lines of long work (hactl backup run/restore/dr run --wait, backup verify): rendering,
// rate over a moving window and ETA, and how the output looks depends on where it goes.
import {
  colourWanted,
  etaMs,
  fitWidth,
  formatBytes,
  formatEta,
  outputMode,
  PAINT,
  plainLineDue,
  ProgressPrinter,
  RateWindow,
  renderSample,
  SampleRenderer,
} from '../../src/platform/cli/progress';
import type { OutputMode } from '../../src/platform/cli/progress';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ANSI = new RegExp(String.fromCharCode(27));

describe('numbers', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [45.3 * MiB, '45.3 MiB'],
    [1.2 * GiB, '1.2 GiB'],
    [512 * GiB, '512 GiB'],
    [-1, '?'],
  ])('%d bytes are %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it.each([
    [0, '0s'],
    [40_400, '40s'],
    [185_000, '3m05s'],
    [3_660_000, '1h01m'],
    [90_000_000, '1d01h'],
    [Infinity, '?'],
  ])('an ETA of %d ms is %s', (ms, text) => expect(formatEta(ms)).toBe(text));
});

describe('rate and ETA', () => {
  it.each<[string, Array<[number, number]>, number | null]>([
    ['one sample: no rate', [[0, 0]], null],
    [
      'samples too close together: no rate yet',
      [
        [0, 0],
        [200, 10 * MiB],
      ],
      null,
    ],
    [
      'steady 10 MiB/s',
      [
        [0, 0],
        [1000, 10 * MiB],
        [2000, 20 * MiB],
      ],
      10 * MiB,
    ],
    // The window is 10 s: the slow start falls out of it.
    [
      'moving window forgets the slow start',
      [
        [0, 0],
        [10_000, MiB],
        [20_000, 101 * MiB],
        [21_000, 111 * MiB],
      ],
      10 * MiB,
    ],
    [
      'a count that goes back (next step) starts over',
      [
        [0, 0],
        [1000, 50 * MiB],
        [2000, MiB],
      ],
      null,
    ],
    [
      'the same heartbeat polled twice counts once',
      [
        [0, 0],
        [1000, 4 * MiB],
        [1000, 4 * MiB],
      ],
      4 * MiB,
    ],
  ])('%s', (_what, points, rate) => {
    const w = new RateWindow(10_000);
    for (const [at, b] of points) w.add(at, b);
    expect(w.rate()).toBe(rate);
  });

  it.each<[number, number | undefined, number | null, number | null]>([
    [GiB, 3 * GiB, 100 * MiB, 20_480],
    [GiB, undefined, 100 * MiB, null], // no total: no ETA
    [GiB, 3 * GiB, null, null], // no rate yet
    [GiB, 3 * GiB, 0, null], // stalled
    [4 * GiB, 3 * GiB, MiB, 0], // a file grew: never negative
  ])('ETA of %d of %s at %s B/s is %s ms', (done, total, rate, eta) =>
    expect(etaMs(done, total, rate)).toBe(eta),
  );
});

describe('rendering a sample', () => {
  it.each<[string, Parameters<typeof renderSample>[0], number | null, string]>([
    [
      'everything known',
      { at: 0, label: 'archiving', files: 120, filesTotal: 400, bytes: 1.2 * GiB, bytesTotal: 3 * GiB },
      45.3 * MiB,
      'archiving  files 120/400  bytes 1.2 GiB/3.0 GiB  45.3 MiB/s  ETA 41s',
    ],
    [
      'no totals: counts and rate, no ETA',
      { at: 0, label: 'archiving', files: 120, bytes: 1.2 * GiB },
      45.3 * MiB,
      'archiving  files 120  bytes 1.2 GiB  45.3 MiB/s',
    ],
    [
      'no rate yet',
      { at: 0, label: 'extracting', bytes: 0, bytesTotal: GiB },
      null,
      'extracting  bytes 0 B/1.0 GiB',
    ],
    [
      'a step without numbers, with a note',
      { at: 0, label: 'archiving', note: 'waiting for a worker on host alpha' },
      null,
      'archiving  waiting for a worker on host alpha',
    ],
  ])('%s', (_what, sample, rate, line) => expect(renderSample(sample, rate)).toBe(line));

  it('a renderer keeps the rate across samples and starts over at the next step', () => {
    const r = new SampleRenderer();
    r.render({ at: 0, label: 'archiving', bytes: 0, bytesTotal: 100 * MiB });
    expect(r.render({ at: 2000, label: 'archiving', bytes: 20 * MiB, bytesTotal: 100 * MiB })).toBe(
      'archiving  bytes 20.0 MiB/100 MiB  10.0 MiB/s  ETA 8s',
    );
    expect(r.render({ at: 3000, label: 'verifying the archive', bytes: 50 * MiB })).toBe(
      'verifying the archive  bytes 50.0 MiB',
    );
  });

  it('colour only where painted: the label and the note', () => {
    const line = renderSample({ at: 0, label: 'archiving', bytes: 1, note: 'x' }, null, PAINT);
    expect(line).toBe('\x1b[36marchiving\x1b[39m  bytes 1 B  \x1b[2mx\x1b[22m');
  });
});

describe('terminal or not', () => {
  it.each<[string, { isTTY: boolean; json?: boolean; env: Record<string, string> }, OutputMode]>([
    ['a terminal: live line in colour', { isTTY: true, env: {} }, { live: true, colour: true }],
    ['a terminal with NO_COLOR', { isTTY: true, env: { NO_COLOR: '1' } }, { live: true, colour: false }],
    ['NO_COLOR empty counts as unset', { isTTY: true, env: { NO_COLOR: '' } }, { live: true, colour: true }],
    ['piped: plain lines', { isTTY: false, env: {} }, { live: false, colour: false }],
    ['piped, FORCE_COLOR', { isTTY: false, env: { FORCE_COLOR: '1' } }, { live: false, colour: true }],
    [
      'NO_COLOR beats FORCE_COLOR',
      { isTTY: true, env: { NO_COLOR: 'yes', FORCE_COLOR: '1' } },
      { live: true, colour: false },
    ],
    ['FORCE_COLOR=0 turns it off', { isTTY: true, env: { FORCE_COLOR: '0' } }, { live: true, colour: false }],
    ['--json: plain and no escapes', { isTTY: true, json: true, env: {} }, { live: false, colour: false }],
    ['TERM=dumb: plain', { isTTY: true, env: { TERM: 'dumb' } }, { live: false, colour: false }],
  ])('%s', (_what, o, mode) => expect(outputMode(o)).toEqual(mode));

  it('colourWanted follows no-color.org', () => {
    expect(colourWanted({ NO_COLOR: 'x' }, true)).toBe(false);
    expect(colourWanted({}, false)).toBe(false);
  });

  it.each<[string, { at: number; key: string; line: string } | null, number, string, string, boolean]>([
    ['the first line', null, 0, 'a', 'l1', true],
    ['a new step at once', { at: 0, key: 'a', line: 'l1' }, 100, 'b', 'l2', true],
    ['same step, too soon', { at: 0, key: 'a', line: 'l1' }, 4999, 'a', 'l2', false],
    ['same step, after the interval', { at: 0, key: 'a', line: 'l1' }, 5000, 'a', 'l2', true],
    ['nothing new after the interval', { at: 0, key: 'a', line: 'l1' }, 9000, 'a', 'l1', false],
  ])('plain mode: %s', (_what, last, now, key, line, due) =>
    expect(plainLineDue(last, now, key, line, 5000)).toBe(due),
  );

  it('fits a line to the terminal without counting escapes', () => {
    expect(fitWidth('abcdefghijklmnop', 11)).toBe('abcdefghij');
    expect(fitWidth('\x1b[36mabcdefghijklmnop\x1b[39m', 11)).toBe('\x1b[36mabcdefghij\x1b[39m');
    expect(fitWidth('short', undefined)).toBe('short');
  });

  it('live: one line rewritten in place, the final line ends it', () => {
    const out: string[] = [];
    const p = new ProgressPrinter((s) => out.push(s), { live: true, colour: false }, { columns: () => 80 });
    p.update('archiving  bytes 1 B', 'archiving');
    p.update('archiving  bytes 2 B', 'archiving');
    p.finish('backup done');
    expect(out.join('')).toBe(
      '\r\x1b[2Karchiving  bytes 1 B\r\x1b[2Karchiving  bytes 2 B\r\x1b[2Kbackup done\n',
    );
  });

  it('live: a failure leaves the last line and moves to the next', () => {
    const out: string[] = [];
    const p = new ProgressPrinter((s) => out.push(s), { live: true, colour: false });
    p.update('extracting', 'x');
    p.finish();
    expect(out.join('')).toBe('\r\x1b[2Kextracting\n');
  });

  it('plain: whole lines, throttled, no escapes', () => {
    let now = 0;
    const out: string[] = [];
    const p = new ProgressPrinter((s) => out.push(s), { live: false, colour: false }, { now: () => now });
    p.update('archiving 1', 'archiving');
    now = 1000;
    p.update('archiving 2', 'archiving'); // too soon
    now = 6000;
    p.update('archiving 3', 'archiving');
    now = 6100;
    p.update('verifying 1', 'verifying'); // a new step
    p.finish('backup done');
    expect(out).toEqual(['archiving 1\n', 'archiving 3\n', 'verifying 1\n', 'backup done\n']);
    expect(out.join('')).not.toMatch(ANSI);
  });
});
