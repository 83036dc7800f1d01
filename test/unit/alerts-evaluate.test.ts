// The alert series state machine, table by table: `for` as samples and as a duration, pending
// alerts that are dropped, hysteresis, keepFiringFor, and Nagios-style flap detection.
import { conditionHolds, flapPercent, FLAP, newSeries, step } from '../../src/alerts/model/evaluate';
import type { SeriesEvent } from '../../src/alerts/model/evaluate';
import type { AlertRule, SeriesState } from '../../src/alerts/model/types';
import { HOST_METRICS, reportSamples } from '../../src/health/model/metrics';
import { METRICS } from '../../src/alerts/catalogue';

function rule(extra: Partial<AlertRule> = {}): AlertRule {
  return {
    name: 'R',
    metric: 'fs.used_percent',
    where: {},
    op: '>',
    threshold: 90,
    resolve: null,
    for: { samples: 1 },
    keepFiringForMs: 0,
    severity: 'warning',
    hosts: null,
    labels: {},
    annotations: {},
    ...extra,
  };
}

/** Runs values (one per second) through a rule: the state and events after each. */
function run(
  r: AlertRule,
  values: number[],
  every = 1000,
): Array<{ state: SeriesState['state']; events: SeriesEvent[] }> {
  let s = newSeries();
  return values.map((value, i) => {
    const { next, events } = step(r, s, { value, at: i * every });
    s = next;
    return { state: next.state, events };
  });
}

const states = (xs: ReturnType<typeof run>): string => xs.map((x) => x.state[0]).join('');
const eventsOf = (xs: ReturnType<typeof run>): string[] =>
  xs.flatMap((x, i) => x.events.map((e) => `${i}:${e}`));

describe('for: consecutive samples', () => {
  it.each([
    // values, for, expected states (i=inactive p=pending f=firing), events
    [[95, 95, 95, 80], 3, 'ppfi', ['2:fired', '3:resolved']],
    [[95, 95, 80, 95, 95, 95], 3, 'ppippf', ['5:fired']],
    [[95], 1, 'f', ['0:fired']],
    [[80, 95, 80], 2, 'ipi', []],
    [[95, 95, 95, 95], 0, 'ffff', ['0:fired']],
  ])('%j with for %d samples -> %s', (values, n, expected, evs) => {
    const r = run(rule({ for: { samples: n } }), values);
    expect(states(r)).toBe(expected);
    expect(eventsOf(r)).toEqual(evs);
  });

  it('a pending alert that recovers is never resolved: no event at all', () => {
    expect(eventsOf(run(rule({ for: { samples: 5 } }), [95, 95, 95, 95, 80, 80]))).toEqual([]);
  });
});

describe('for: a duration (Prometheus semantics)', () => {
  it.each([
    // one sample per second; for in ms
    [[95, 95, 95, 95], 2000, 'ppff', ['2:fired']],
    [[95, 95, 80, 95, 95, 95], 2000, 'ppippf', ['5:fired']],
    [[95, 80], 0, 'fi', ['0:fired', '1:resolved']],
  ])('%j with for %dms -> %s', (values, ms, expected, evs) => {
    const r = run(rule({ for: { ms } }), values);
    expect(states(r)).toBe(expected);
    expect(eventsOf(r)).toEqual(evs);
  });
});

describe('hysteresis (resolve threshold)', () => {
  it.each([
    // > 90 resolve 85: fires above 90, holds down to 85, resolves below 85
    ['>', 90, 85, [95, 88, 86, 85, 84], 'ffffi'],
    ['>', 90, 85, [88, 91, 89, 84, 89, 91], 'iffiif'],
    ['<', 10, 20, [5, 15, 19, 20, 21], 'ffffi'],
    ['>=', 90, 80, [90, 85, 80, 79], 'fffi'],
  ] as const)('%s %d resolve %d: %j -> %s', (op, threshold, resolve, values, expected) => {
    expect(states(run(rule({ op, threshold, resolve }), [...values]))).toBe(expected);
  });

  it('without resolve, the threshold itself resolves', () => {
    expect(states(run(rule(), [95, 89]))).toBe('fi');
  });

  it('conditionHolds is the threshold for a new alert and `resolve` for a firing one', () => {
    const r = rule({ resolve: 85 });
    expect([conditionHolds(r, false, 88), conditionHolds(r, true, 88), conditionHolds(r, true, 84)]).toEqual([
      false,
      true,
      false,
    ]);
  });
});

describe('keepFiringFor', () => {
  it('holds a firing alert after recovery for that long, then resolves', () => {
    const r = run(rule({ keepFiringForMs: 2500 }), [95, 80, 80, 80, 80]);
    expect(states(r)).toBe('fffii');
    expect(eventsOf(r)).toEqual(['0:fired', '3:resolved']);
  });

  it('a new bad sample while held keeps it firing and restarts the hold', () => {
    expect(states(run(rule({ keepFiringForMs: 2500 }), [95, 80, 80, 95, 80, 80, 80, 80]))).toBe('ffffffii');
  });
});

describe('flap detection (Nagios: 21 evaluations, above 30% flapping, below 20% stable)', () => {
  it('weights changes from 0.8 (oldest) to 1.2 (newest) over 20 possible changes', () => {
    expect(flapPercent('')).toBe(0);
    expect(flapPercent('1'.repeat(21))).toBe(0);
    expect(flapPercent('01')).toBeCloseTo(6, 5); // newest change alone: 1.2 / 20
    expect(flapPercent('01010101010101010101'.padStart(21, '0'))).toBeGreaterThan(90);
  });

  it('a value that alternates every sample starts flapping once, and fire/resolve stop being events', () => {
    const values = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 95 : 80));
    const r = run(rule(), values);
    const evs = eventsOf(r);
    expect(evs.filter((e) => e.endsWith('flap-start'))).toHaveLength(1);
    expect(evs.filter((e) => e.endsWith('flap-end'))).toHaveLength(0);
    const start = Number(evs.find((e) => e.endsWith('flap-start'))!.split(':')[0]);
    expect(start).toBeGreaterThan(3);
    expect(start).toBeLessThan(FLAP.window);
  });

  it('stops flapping once the value settles below 20% changes', () => {
    const values = [...Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 95 : 80)), ...Array(30).fill(95)];
    const evs = eventsOf(run(rule(), values));
    expect(evs.filter((e) => e.endsWith('flap-start'))).toHaveLength(1);
    expect(evs.filter((e) => e.endsWith('flap-end'))).toHaveLength(1);
  });
});

describe('the metric catalogue', () => {
  it('knows every metric a host report yields, with its labels', () => {
    const snapshot = {
      host: 'h',
      collectedAt: '2026-01-01T00:00:00.000Z',
      worker: { pid: 1, hostname: 'h', version: 'v' },
      cpu: { cores: 2, loadPercent: 10, perCorePercent: [5, 15], loadAverage: [1, 2, 3] },
      memory: { totalBytes: 10, usedBytes: 5, availableBytes: 5, usedPercent: 50 },
      swap: { totalBytes: 10, usedBytes: 2, freeBytes: 8 },
      filesystems: [
        { mount: '/', fs: 'd', type: 'ext4', sizeBytes: 1, usedBytes: 1, availableBytes: 0, usedPercent: 91 },
      ],
      network: [{ iface: 'eth0', rxBytes: 1, txBytes: 1, rxBytesPerSec: 10, txBytesPerSec: 20 }],
      processes: { total: 3, running: 1, blocked: 0, sleeping: 2 },
      tcp: { established: 4, listening: 1, total: 5 },
      cost: { wallMs: 1, cpuMs: 1 },
    };
    const b = reportSamples({ host: 'h', ok: true, at: snapshot.collectedAt, snapshot });
    for (const s of b.samples) {
      expect(METRICS[s.name]).toBeDefined();
      expect(Object.keys(s.labels).sort()).toEqual([...METRICS[s.name]!.labels].sort());
    }
    expect(new Set(b.samples.map((s) => s.name))).toEqual(new Set(Object.keys(HOST_METRICS)));
    expect(b.samples.find((s) => s.name === 'swap.used_percent')!.value).toBe(20);
    expect(reportSamples({ host: 'h', ok: false, at: 't', reason: 'timeout', error: 'x' }).samples).toEqual([
      { name: 'host.up', labels: {}, value: 0 },
    ]);
  });
});
