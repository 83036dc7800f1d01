// The escalation ladder as pure functions: backoff, probe thresholds, placement, and each
// decision with its reason — table-driven.
// Over 400 lines on purpose: every rung of the ladder with its exact reason, in one place.
import {
  backoffMs,
  decide,
  markFailed,
  markHealthy,
  markLost,
  pickHost,
  serviceHealth,
} from '../../src/redundancy/model/decide';
import type { DecideInput } from '../../src/redundancy/model/decide';
import { countProbe, newCounter, verdict } from '../../src/core/probe';
import { checkPause, checkRestart, checkScale } from '../../src/redundancy/model/requests';
import type { HostLoad, Instance, ServiceSpec } from '../../src/redundancy/model/types';

const cmd = { argv: ['true'], timeoutMs: 10_000, env: {}, shell: false };
const spec: ServiceSpec = {
  name: 'web',
  hosts: ['alpha', 'beta', 'gamma'],
  minInstances: 2,
  maxInstances: 2,
  maxPerHost: 1,
  start: cmd,
  stop: cmd,
  status: null,
  probes: [],
  restart: {
    inPlace: 3,
    windowMs: 600_000,
    backoff: { initialMs: 10_000, maxMs: 300_000, factor: 2, jitter: 0 },
    giveUpAfterMs: null,
    resetAfterMs: 600_000,
  },
};
const T = Date.UTC(2026, 10, 27, 12);
const iso = (ms: number): string => new Date(ms).toISOString();

function inst(id: string, host: string, extra: Partial<Instance> = {}): Instance {
  return {
    id,
    host,
    state: 'healthy',
    since: iso(T - 3_600_000),
    restarts: [],
    restartsTotal: 0,
    failures: 0,
    failingSince: null,
    notBefore: null,
    generation: 1,
    lastReason: 'probes passed',
    ...extra,
  };
}
const load = (host: string, cpu: number | null, extra: Partial<HostLoad> = {}): HostLoad => ({
  host,
  up: true,
  maintenance: false,
  cpu,
  memory: 50,
  ...extra,
});
const LOADS = [load('alpha', 30), load('beta', 12), load('gamma', 70)];

function run(extra: Partial<DecideInput>) {
  return decide({
    spec,
    instances: [],
    busy: new Set(),
    loads: LOADS,
    desired: 2,
    paused: false,
    nextIndex: 1,
    now: T,
    ...extra,
  });
}

describe('backoff', () => {
  it.each([
    [1, 0],
    [2, 10_000],
    [3, 20_000],
    [4, 40_000],
    [7, 300_000],
    [30, 300_000],
  ])('failure %i waits %i ms (first retry at once, then doubling to the cap)', (n, want) => {
    expect(backoffMs(spec.restart, n, 0.5)).toBe(want);
  });
  it('jitter spreads the wait by ±jitter', () => {
    const p = { ...spec.restart, backoff: { ...spec.restart.backoff, jitter: 0.2 } };
    expect(backoffMs(p, 2, 0)).toBe(8000);
    expect(backoffMs(p, 2, 0.999999)).toBe(12_000);
  });
});

describe('probe thresholds (Kubernetes meanings)', () => {
  const t = { failureThreshold: 3, successThreshold: 2 };
  it.each([
    ['healthy', [false, false], true],
    ['healthy', [false, false, false], false],
    ['healthy', [false, true, false, false], true],
    ['unhealthy', [true], false],
    ['unhealthy', [true, true], true],
    ['starting', [true], null],
    ['starting', [true, true], true],
    ['starting', [false, false, false], false],
  ] as const)('believed %s, probes %j: %s', (believed, probes, want) => {
    let c = newCounter(believed);
    for (const ok of probes) c = countProbe(c, ok, t);
    expect(c.healthy).toBe(want);
  });
  it('an instance is healthy when every probe is, unhealthy when any is', () => {
    const h = { healthy: true, ok: 1, bad: 0 };
    const u = { healthy: false, ok: 0, bad: 3 };
    const n = { healthy: null, ok: 0, bad: 0 };
    expect(verdict([h, h])).toBe(true);
    expect(verdict([h, u])).toBe(false);
    expect(verdict([h, n])).toBe(null);
    expect(verdict([])).toBe(null);
  });
});

describe('state changes', () => {
  it('a failure counts, sets the backoff, and starts over after a long healthy spell', () => {
    const a = markFailed(inst('web-1', 'alpha'), T, 'connection refused', spec.restart, 0.5);
    expect(a).toMatchObject({ state: 'unhealthy', failures: 1, failingSince: T, notBefore: T });
    const b = markFailed({ ...a, state: 'starting' }, T + 1000, 'again', spec.restart, 0.5);
    expect(b).toMatchObject({ failures: 2, failingSince: T, notBefore: T + 1000 + 10_000 });
    const healthyShort = markHealthy(b, T + 2000, 'ok');
    expect(markFailed(healthyShort, T + 3000, 'x', spec.restart, 0.5).failures).toBe(3);
    const healthyLong = markHealthy(b, T + 2000, 'ok');
    expect(markFailed(healthyLong, T + 2000 + 600_000, 'x', spec.restart, 0.5).failures).toBe(1);
  });
  it('lost keeps when it began', () => {
    const l = markLost(inst('web-1', 'alpha'), T, 'worker of alpha not answering');
    expect(markLost(l, T + 5000, 'still').since).toBe(iso(T));
  });
});

describe('placement', () => {
  it.each([
    ['least CPU wins', LOADS, [], [], 'beta', 'least loaded: cpu 12 %, memory 50 %'],
    [
      'memory breaks a CPU tie',
      [load('alpha', 10, { memory: 80 }), load('beta', 10, { memory: 20 })],
      [],
      [],
      'beta',
      null,
    ],
    [
      'unknown load goes last',
      [load('alpha', null), load('beta', 90), load('gamma', null)],
      [],
      [],
      'beta',
      null,
    ],
    [
      'down and maintenance are skipped',
      [load('alpha', 1, { up: false }), load('beta', 2, { maintenance: true }), load('gamma', 99)],
      [],
      [],
      'gamma',
      'the only host available, cpu 99 %: alpha is down; beta is in maintenance',
    ],
    ['spread: a host with one already is full', LOADS, [{ host: 'beta' }], [], 'alpha', null],
    ['the host it leaves is excluded', LOADS, [], ['beta'], 'alpha', null],
  ] as const)('%s', (_t, loads, placed, exclude, want, why) => {
    const r = pickHost(spec, loads, placed, exclude);
    expect(r.host).toBe(want);
    if (why) expect(r.why).toBe(why);
  });
  it('says why no host can take it', () => {
    const r = pickHost(spec, [load('alpha', 1, { up: false })], [{ host: 'beta' }, { host: 'gamma' }]);
    expect(r).toEqual({
      host: null,
      why: 'alpha is down; beta already has 1 (at most 1 per host); gamma already has 1 (at most 1 per host)',
    });
  });
});

describe('decide', () => {
  it('starts what is missing on the least-loaded hosts, spread', () => {
    const d = run({});
    expect(d.actions).toEqual([
      {
        type: 'start',
        instance: 'web-1',
        host: 'beta',
        reason: '0 of 2 instances: starting web-1 on beta (least loaded: cpu 12 %, memory 50 %)',
      },
      {
        type: 'start',
        instance: 'web-2',
        host: 'alpha',
        reason: '1 of 2 instances: starting web-2 on alpha (least loaded: cpu 30 %, memory 50 %)',
      },
    ]);
  });
  it('does nothing while everything is healthy, or paused', () => {
    const two = [inst('web-1', 'alpha'), inst('web-2', 'beta')];
    expect(run({ instances: two }).actions).toEqual([]);
    expect(
      run({ instances: [inst('web-1', 'alpha', { state: 'unhealthy', notBefore: T })], paused: true })
        .actions,
    ).toEqual([]);
  });
  it('restarts in place first, with the count in the reason', () => {
    const u = inst('web-1', 'alpha', {
      state: 'unhealthy',
      restarts: [T - 60_000],
      notBefore: T,
      lastReason: 'http: HTTP 500',
    });
    const d = run({ instances: [u, inst('web-2', 'beta')] });
    expect(d.actions).toEqual([
      {
        type: 'restart',
        instance: 'web-1',
        host: 'alpha',
        reason: 'alpha: http: HTTP 500; restart 2 of 3 within 10m',
      },
    ]);
  });
  it('waits for the backoff, and says when to wake', () => {
    const u = inst('web-1', 'alpha', { state: 'unhealthy', notBefore: T + 20_000 });
    const d = run({ instances: [u, inst('web-2', 'beta')] });
    expect(d).toEqual({ actions: [], wakeAt: T + 20_000, unplaced: null });
  });
  it('moves after N restarts within the window, to the least-loaded other host', () => {
    const u = inst('web-1', 'alpha', {
      state: 'unhealthy',
      restarts: [T - 3000, T - 2000, T - 1000],
      notBefore: T,
    });
    const d = run({
      spec: { ...spec, hosts: ['alpha', 'beta', 'gamma', 'delta'] },
      instances: [u, inst('web-2', 'gamma')],
      loads: [...LOADS, load('delta', 40)],
    });
    expect(d.actions).toEqual([
      {
        type: 'move',
        instance: 'web-1',
        from: 'alpha',
        to: 'beta',
        reason: 'alpha: 3 restarts within 10m, moving to beta (least loaded: cpu 12 %, memory 50 %)',
      },
    ]);
  });
  it('restarts older than the window do not count', () => {
    const u = inst('web-1', 'alpha', {
      state: 'unhealthy',
      restarts: [T - 700_000, T - 650_000, T - 1000],
      notBefore: T,
    });
    expect(run({ instances: [u, inst('web-2', 'gamma')] }).actions[0]!.type).toBe('restart');
  });
  it('restarts in place when no other host can take it, saying so', () => {
    const s = { ...spec, hosts: ['alpha', 'beta'] };
    const u = inst('web-1', 'alpha', {
      state: 'unhealthy',
      restarts: [T - 3000, T - 2000, T - 1000],
      notBefore: T,
    });
    const d = run({ spec: s, instances: [u, inst('web-2', 'beta')] });
    expect(d.actions).toEqual([
      {
        type: 'restart',
        instance: 'web-1',
        host: 'alpha',
        reason:
          'alpha: 3 restarts within 10m but no other host (alpha is the one it leaves; beta already has 1 (at most 1 per host)); restarting in place',
      },
    ]);
  });
  it('a lost instance moves at once; with nowhere to go it waits', () => {
    const l = inst('web-1', 'alpha', {
      state: 'lost',
      lastReason: 'worker of alpha not answering',
      notBefore: T + 10_000,
    });
    expect(run({ instances: [l, inst('web-2', 'gamma')] }).actions).toEqual([
      {
        type: 'move',
        instance: 'web-1',
        from: 'alpha',
        to: 'beta',
        reason:
          'alpha: worker of alpha not answering; moving to beta (the only host available, cpu 12 %: alpha is the one it leaves; gamma already has 1 (at most 1 per host))',
      },
    ]);
    const s = { ...spec, hosts: ['alpha', 'gamma'] };
    expect(run({ spec: s, instances: [l, inst('web-2', 'gamma')] })).toEqual({
      actions: [],
      wakeAt: T + 10_000,
      unplaced: null,
    });
  });
  it('drains a host in maintenance', () => {
    const loads = [load('alpha', 30, { maintenance: true }), load('beta', 12), load('gamma', 70)];
    expect(run({ instances: [inst('web-1', 'alpha'), inst('web-2', 'gamma')], loads }).actions).toEqual([
      {
        type: 'move',
        instance: 'web-1',
        from: 'alpha',
        to: 'beta',
        reason:
          'alpha is in maintenance; moving to beta (the only host available, cpu 12 %: alpha is the one it leaves; gamma already has 1 (at most 1 per host))',
      },
    ]);
  });
  it('gives up only when told to, after failing that long', () => {
    const s = { ...spec, restart: { ...spec.restart, giveUpAfterMs: 3_600_000 } };
    const u = inst('web-1', 'alpha', {
      state: 'unhealthy',
      failingSince: T - 3_600_000,
      notBefore: T,
      lastReason: 'exit 3',
    });
    expect(run({ spec: s, instances: [u, inst('web-2', 'beta')] }).actions).toEqual([
      {
        type: 'give-up',
        instance: 'web-1',
        host: 'alpha',
        reason: 'alpha: failing for 1h (giveUpAfter 1h); last: exit 3',
      },
    ]);
    // Never, by default, however long.
    expect(
      run({ instances: [{ ...u, failingSince: T - 1e9 }, inst('web-2', 'beta')] }).actions[0]!.type,
    ).toBe('restart');
  });
  it('a given-up instance keeps its place: nothing more is started', () => {
    expect(
      run({ instances: [inst('web-1', 'alpha', { state: 'failed' }), inst('web-2', 'beta')] }).actions,
    ).toEqual([]);
  });
  it('stops extras above the most allowed: the sick first, then the busiest host', () => {
    const three = [inst('web-1', 'alpha'), inst('web-2', 'beta'), inst('web-3', 'gamma')];
    expect(run({ instances: three }).actions).toEqual([
      {
        type: 'stop',
        instance: 'web-3',
        host: 'gamma',
        remove: true,
        reason: '3 instances, at most 2 wanted: stopping web-3 on gamma (healthy)',
      },
    ]);
    const sick = [
      inst('web-1', 'alpha', { state: 'unhealthy', notBefore: T + 5000 }),
      inst('web-2', 'beta'),
      inst('web-3', 'gamma'),
    ];
    expect(run({ instances: sick, desired: 2 }).actions.map((a) => [a.type, a.instance])).toEqual([
      ['stop', 'web-1'],
    ]);
  });
  it('tolerates up to maxInstances, and scales to what was asked', () => {
    const three = [inst('web-1', 'alpha'), inst('web-2', 'beta'), inst('web-3', 'gamma')];
    expect(run({ spec: { ...spec, maxInstances: 3 }, instances: three }).actions).toEqual([]);
    expect(run({ instances: three, desired: 1, max: 1 }).actions.map((a) => a.instance)).toEqual([
      'web-3',
      'web-1',
    ]);
  });
  it('nothing is decided for a busy instance, and it still counts', () => {
    const u = inst('web-1', 'alpha', { state: 'starting' });
    expect(
      run({ instances: [u], busy: new Set(['web-1']), nextIndex: 2 }).actions.map((a) => [
        a.instance,
        'host' in a ? a.host : a.to,
      ]),
    ).toEqual([['web-2', 'beta']]);
  });
  it('says why an instance cannot be placed', () => {
    const d = run({
      loads: [load('alpha', 1, { up: false }), load('beta', 1, { up: false }), load('gamma', 1)],
    });
    expect(d.actions.map((a) => ('host' in a ? a.host : a.to))).toEqual(['gamma']);
    expect(d.unplaced).toBe(
      '1 of 2 instances and no host can take one more: alpha is down; beta is down; gamma already has 1 (at most 1 per host)',
    );
  });
});

describe('service health', () => {
  it.each([
    [['healthy', 'healthy'], 2, false, 'healthy'],
    [['healthy', 'unhealthy'], 2, false, 'degraded'],
    [['lost', 'starting'], 2, false, 'down'],
    [[], 0, false, 'healthy'],
    [['unhealthy'], 1, true, 'paused'],
  ] as const)('%j of %i wanted (paused %s): %s', (states, desired, paused, want) => {
    expect(
      serviceHealth(
        states.map((s, i) => inst(`web-${i}`, 'alpha', { state: s })),
        desired,
        paused,
      ),
    ).toBe(want);
  });
});

describe('requests', () => {
  const two = [inst('web-1', 'alpha'), inst('web-2', 'beta')];
  it.each([
    [checkScale({ instances: 3, by: 'ann' }), null],
    [checkScale({ instances: -1, by: 'ann' }), 'instances must be a whole number from 0 to 1000, got -1'],
    [checkScale({ instances: 1.5, by: 'ann' }), 'instances must be a whole number from 0 to 1000, got 1.5'],
    [checkRestart({ by: 'ann', host: 'beta' }, two), null],
    [
      checkRestart({ by: 'ann', host: 'gamma' }, two),
      'no instance on host gamma (instances are on: alpha, beta)',
    ],
    [checkRestart({ by: 'ann' }, []), 'there is no instance to restart'],
    [checkPause({ paused: true, by: 'ann' }), null],
    [checkPause({ paused: 'yes', by: 'ann' } as never), 'a pause request is { paused: true|false, by }'],
  ])('%s', (got, want) => {
    expect(got).toBe(want);
  });
});
