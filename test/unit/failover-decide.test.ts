// A failover group's decisions, pure and table-driven: observers' votes, the primary's verdict,
// candidates with their scores and reasons, the limits, split brain, and role parsing.
import { assess, candidates, majority, nodeView, parseRole } from '../../src/failover/model/decide';
import { checkForce, checkPause, checkSwitchover } from '../../src/failover/model/requests';
import type { GroupSpec, NodeView, Observation, Role } from '../../src/failover/model/types';

const timing = {
  intervalMs: 500,
  timeoutMs: 400,
  failureThreshold: 3,
  successThreshold: 1,
  initialDelayMs: 0,
};
const cmd = { argv: ['x'], timeoutMs: 1000, env: {}, shell: false };
const spec: GroupSpec = {
  name: 'db',
  nodes: [
    { name: 'pg1', host: 'alpha', priority: 100, nofailover: false, env: {} },
    { name: 'pg2', host: 'beta', priority: 90, nofailover: false, env: {} },
    { name: 'pg3', host: 'gamma', priority: 95, nofailover: true, env: {} },
  ],
  initialPrimary: 'pg1',
  observers: ['alpha', 'beta', 'gamma'],
  health: [{ type: 'tcp', address: '127.0.0.1:5432', ...timing }],
  role: { type: 'command', command: cmd, ...timing },
  lag: null,
  maximumLag: null,
  actions: { fence: [], promote: null, demote: null, repoint: [] },
  mode: 'automatic',
  select: 'priority',
  cooldownMs: 300_000,
  maxFailovers: { count: 3, windowMs: 3_600_000 },
  failbackAfterMs: null,
  allowUnfencedPromotion: false,
  verifyTimeoutMs: 10_000,
};
const T = Date.UTC(2026, 10, 27, 12);
const o = (healthy: boolean | null, role: Role = 'standby', lag: number | null = 0): Observation => ({
  healthy,
  role,
  lag,
  detail: healthy === false ? 'ECONNREFUSED' : 'probes passed',
  at: new Date(T).toISOString(),
});
/** Observations per node: a string of one letter per observer (h healthy, u unhealthy, - none). */
function views(
  s: GroupSpec,
  per: Record<string, string>,
  roles: Record<string, Role> = {},
  fenced: string[] = [],
): NodeView[] {
  return s.nodes.map((n) => {
    const obs: Record<string, Observation> = {};
    [...(per[n.name] ?? 'hhh')].forEach((c, i) => {
      if (c !== '-')
        obs[s.observers[i]!] = o(c === 'h', roles[n.name] ?? (n.name === 'pg1' ? 'primary' : 'standby'));
    });
    return nodeView(s, n.name, obs, fenced);
  });
}

describe('votes', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
  ])('majority of %i observers is %i', (n, m) => expect(majority(n)).toBe(m));
  it.each([
    ['hhh', 'up'],
    ['uuh', 'dead'],
    ['uu-', 'dead'],
    ['u--', 'disputed'],
    ['uh-', 'disputed'],
    ['h--', 'unknown'],
    ['---', 'unknown'],
    ['hhu', 'up'],
  ])('observers %s: %s', (votes, want) => {
    expect(views(spec, { pg1: votes })[0]!.health).toBe(want);
  });
});

describe('assess', () => {
  const base = { spec, primary: 'pg1', paused: false, failovers: [] as number[], now: T };
  it('steady, with the votes', () => {
    expect(assess({ ...base, views: views(spec, {}) })).toEqual({
      type: 'steady',
      explain: 'no failover: primary pg1 is healthy for 3 of 3 observers',
    });
  });
  it('a minority that sees it failing: no failover, said', () => {
    const d = assess({ ...base, views: views(spec, { pg1: 'hhu' }) });
    expect(d).toEqual({
      type: 'steady',
      explain: 'no failover: primary pg1 is healthy for 2 of 3 observers failing for 1 (gamma: ECONNREFUSED)',
    });
    expect(assess({ ...base, views: views(spec, { pg1: 'uh-' }) })).toEqual({
      type: 'disputed',
      explain:
        'no failover: primary pg1 is healthy for 1 of 3 observers failing for 1 (alpha: ECONNREFUSED) no report from gamma; 2 of 3 observers must agree it is dead',
    });
  });
  it('dead: the best eligible standby, every candidate with its reason', () => {
    const d = assess({ ...base, views: views(spec, { pg1: 'uuu' }) });
    expect(d).toMatchObject({ type: 'failover', from: 'pg1', to: 'pg2' });
    expect(d.type === 'failover' && d.candidates).toEqual([
      { node: 'pg2', eligible: true, score: 90, why: 'priority 90' },
      { node: 'pg3', eligible: false, score: 95, why: 'nofailover' },
    ]);
  });
  it.each([
    [{ paused: true }, 'paused', 'the group is paused: no failover'],
    [
      { spec: { ...spec, mode: 'manual' as const } },
      'manual',
      'mode is manual: run hactl failover failover db --to NODE --force',
    ],
    [{ failovers: [T - 60_000] }, 'cooldown', 'the last failover was 1m ago, within the cooldown of 5m'],
    [
      { failovers: [T - 3_000_000, T - 2_000_000, T - 1_000_000] },
      'max-failovers',
      '3 failovers within 1h already (maxFailovers 3): the group pauses',
    ],
  ])('blocked: %j', (extra, why, text) => {
    const d = assess({ ...base, views: views(spec, { pg1: 'uuu' }), ...extra });
    expect(d.type).toBe('blocked');
    expect(d.type === 'blocked' && d.why).toBe(why);
    expect(d.explain).toContain(text);
  });
  it('no target: every candidate says why', () => {
    const d = assess({ ...base, views: views(spec, { pg1: 'uuu', pg2: 'uu-' }) });
    expect(d.type).toBe('no-target');
    expect(d.explain).toBe(
      'primary pg1 is failing for 3 of 3 observers (alpha: ECONNREFUSED; beta: ECONNREFUSED; gamma: ECONNREFUSED); no node can take over: pg3 nofailover; pg2 not healthy: failing for 2 of 3 observers (alpha: ECONNREFUSED; beta: ECONNREFUSED) no report from gamma',
    );
  });
  it('split brain, and discovery', () => {
    expect(assess({ ...base, views: views(spec, {}, { pg2: 'primary' }) })).toEqual({
      type: 'split-brain',
      rogue: ['pg2'],
      explain: 'pg2 reports primary while pg1 is the primary',
    });
    expect(assess({ ...base, primary: null, views: views(spec, {}) })).toEqual({
      type: 'discover',
      primary: 'pg1',
      explain: 'pg1 reports primary; it is the primary now',
    });
    expect(assess({ ...base, primary: null, views: views(spec, {}, { pg1: 'standby' }) }).type).toBe(
      'steady',
    );
  });
});

describe('candidates', () => {
  const s = { ...spec, nodes: spec.nodes.map((n) => ({ ...n, nofailover: false })), maximumLag: 100 };
  const withLag = (lags: Record<string, number | null>): NodeView[] =>
    views(s, {}).map((v) => ({ ...v, lag: lags[v.name] ?? null }));
  it.each([
    [
      'priority',
      { pg2: 10, pg3: 50 },
      [
        ['pg3', true],
        ['pg2', true],
      ],
    ],
    [
      'least-lag',
      { pg2: 10, pg3: 50 },
      [
        ['pg2', true],
        ['pg3', true],
      ],
    ],
    [
      'priority',
      { pg2: 500, pg3: null },
      [
        ['pg3', false],
        ['pg2', false],
      ],
    ],
  ] as const)('%s with lags %j', (select, lags, want) => {
    const c = candidates({ ...s, select }, withLag(lags), 'pg1');
    expect(c.map((x) => [x.node, x.eligible])).toEqual(want);
  });
  it('says why lag rules a node out, and prefers the least loaded', () => {
    const c = candidates(s, withLag({ pg2: 500, pg3: null }), 'pg1');
    expect(c.map((x) => x.why)).toEqual(['lag unknown', 'lag 500 > maximumLag 100']);
    const l = candidates({ ...s, maximumLag: null, select: 'least-loaded' }, withLag({}), 'pg1', {
      beta: 70,
      gamma: 20,
    });
    expect(l.map((x) => [x.node, x.why])).toEqual([
      ['pg3', 'cpu 20 %'],
      ['pg2', 'cpu 70 %'],
    ]);
  });
  it('a fenced former primary is not a candidate', () => {
    const c = candidates(s, views(s, {}, {}, ['pg2']), 'pg1');
    expect(c.find((x) => x.node === 'pg2')).toMatchObject({
      eligible: false,
      why: 'fenced (a former primary; failback brings it back)',
    });
  });
});

describe('roles and requests', () => {
  it.each([
    ['primary\n', 'primary'],
    ['f', 'primary'],
    [' t ', 'standby'],
    ['standby', 'standby'],
    ['', 'unknown'],
    ['ERROR', 'unknown'],
  ])('role output %j: %s', (out, want) => expect(parseRole(out)).toBe(want));

  it('refuses switchovers that cannot work, with the reason', () => {
    const v = views(spec, { pg2: 'uu-' });
    const sw = (to: string, primary: string | null = 'pg1') =>
      checkSwitchover({ to, by: 'ann' }, spec, v, primary, T);
    expect(sw('pgx')).toBe('no node "pgx" in group db (nodes: pg1, pg2, pg3)');
    expect(sw('pg1')).toBe('pg1 is the primary already');
    expect(sw('pg2')).toBe(
      'pg2 is not healthy (0 of 3 observers see it healthy): a switchover needs a healthy standby',
    );
    expect(sw('pg3')).toBe('pg3 is marked nofailover');
    expect(sw('pg2', null)).toBe('there is no primary to switch over from (use a forced failover)');
    const ok = views(spec, {});
    expect(checkSwitchover({ to: 'pg2', by: 'ann' }, spec, ok, 'pg1', T)).toBeNull();
    expect(checkSwitchover({ to: 'pg2', by: 'ann', at: 'tomorrow' }, spec, ok, 'pg1', T)).toBe(
      'at must be an ISO time, got "tomorrow"',
    );
    expect(checkForce({ to: 'pg1', by: 'ann' }, spec, 'pg1')).toBe('pg1 is the primary already');
    expect(checkForce({ to: 'pg3', by: 'ann' }, spec, 'pg1')).toBeNull();
    expect(checkPause({ paused: 'yes', by: 'a' } as never)).toBe(
      'a pause request is { paused: true|false, by }',
    );
  });
});
