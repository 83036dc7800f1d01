import { canonicalJson, contentHash } from '../../src/platform/reconcile/desired';
import type { Desired } from '../../src/platform/reconcile/desired';
import { summarise } from '../../src/platform/reconcile/plan';
import type { Observed } from '../../src/platform/reconcile/plan';
import { computePlan, desiredState, isOwnedId, parseConfig } from '../../src/platform/registry-api';

const base = 'version: 1\nhosts:\n  - name: alpha\n  - name: beta\n';
const cfg = (extra = 'health:\n  interval: 30s\n  timeout: 10s\n') => parseConfig(base + extra, 'x.yml');

function observedFrom(desired: Desired[], override: Partial<Observed> = {}): Observed[] {
  return desired.map((d) => ({
    type: d.type,
    id: d.id,
    managed: true,
    hash: d.hash,
    running: d.type === 'controller' ? true : undefined,
    ...override,
  }));
}

describe('desired state', () => {
  it('derives one monitor per host and the health schedule', () => {
    const d = desiredState(cfg());
    expect(d.map((x) => `${x.type}:${x.id}`).sort()).toEqual([
      'controller:monitor:alpha',
      'controller:monitor:beta',
      'schedule:health:snapshots',
    ]);
    const sched = d.find((x) => x.type === 'schedule')!;
    expect(sched.type === 'schedule' && sched.options.spec).toEqual({ intervals: [{ every: 30_000 }] });
    expect(sched.type === 'schedule' && sched.options.action.args).toEqual([
      { hosts: ['alpha', 'beta'], timeoutMs: 10_000 },
    ]);
  });

  it('has no health schedule when the section is absent', () => {
    expect(desiredState(cfg('')).some((x) => x.type === 'schedule')).toBe(false);
  });

  it('hashes are stable for the same config and change with it', () => {
    const a = desiredState(cfg());
    const b = desiredState(cfg());
    const c = desiredState(cfg('health:\n  interval: 1m\n  timeout: 10s\n'));
    expect(a.map((x) => x.hash)).toEqual(b.map((x) => x.hash));
    expect(c.find((x) => x.id === 'health:snapshots')!.hash).not.toBe(
      a.find((x) => x.id === 'health:snapshots')!.hash,
    );
    // Unrelated items keep their hash.
    expect(c.find((x) => x.id === 'monitor:alpha')!.hash).toBe(a.find((x) => x.id === 'monitor:alpha')!.hash);
  });

  it('canonical JSON ignores key order and undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    expect(contentHash({ x: 1, y: 2 })).toBe(contentHash({ y: 2, x: 1 }));
  });
});

describe('plan', () => {
  const desired = desiredState(cfg());

  it('creates everything on an empty server', () => {
    const s = summarise(computePlan(desired, []));
    expect(s).toEqual({
      created: ['health:snapshots', 'monitor:alpha', 'monitor:beta'],
      updated: [],
      deleted: [],
      unchanged: [],
    });
  });

  it('changes nothing when the server matches', () => {
    const s = summarise(computePlan(desired, observedFrom(desired)));
    expect(s.unchanged).toHaveLength(3);
    expect([...s.created, ...s.updated, ...s.deleted]).toEqual([]);
  });

  it('updates what changed', () => {
    const obs = observedFrom(desired).map((o) => (o.id === 'health:snapshots' ? { ...o, hash: 'old' } : o));
    expect(summarise(computePlan(desired, obs)).updated).toEqual(['health:snapshots']);
  });

  it('deletes owned items the config no longer names, and only those', () => {
    const obs: Observed[] = [
      ...observedFrom(desired),
      { type: 'schedule', id: 'backup:old', managed: true, hash: 'h' },
      { type: 'schedule', id: 'backup:foreign', managed: false },
      { type: 'schedule', id: 'nightly-report', managed: true }, // our memo, not our prefix
      { type: 'controller', id: 'monitor:gone', managed: true, running: true },
      { type: 'controller', id: 'monitor:closed', managed: true, running: false },
    ];
    expect(summarise(computePlan(desired, obs)).deleted).toEqual(['backup:old', 'monitor:gone']);
  });

  it('restarts a controller whose run has closed', () => {
    const obs = observedFrom(desired).map((o) => (o.id === 'monitor:beta' ? { ...o, running: false } : o));
    expect(summarise(computePlan(desired, obs)).created).toEqual(['monitor:beta']);
  });

  it('prefers the running record when a controller appears twice', () => {
    const obs = [
      ...observedFrom(desired),
      { type: 'controller' as const, id: 'monitor:alpha', managed: true, running: false },
    ];
    expect(summarise(computePlan(desired, obs)).created).toEqual([]);
  });

  it('refuses to take over an item it does not own', () => {
    const obs = observedFrom(desired).map((o) =>
      o.id === 'health:snapshots' ? { ...o, managed: false } : o,
    );
    const plan = computePlan(desired, obs);
    expect(plan.steps.filter((s) => s.op === 'conflict')).toHaveLength(1);
    expect(summarise(plan).updated).toEqual([]);
  });

  it('knows its own ID prefixes', () => {
    expect(isOwnedId('backup:db')).toBe(true);
    expect(isOwnedId('monitor:alpha')).toBe(true);
    expect(isOwnedId('my-own-schedule')).toBe(false);
  });
});
