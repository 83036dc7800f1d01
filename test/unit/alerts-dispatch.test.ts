// The dispatcher (Alertmanager's part) as a pure state machine: routes, groupWait /
// groupInterval / repeatInterval, resolved notifications, silences (and ones that end on
// resolve), acks that stop repeats, inhibition, events, and the webhook v4 payload.
// Over 400 lines on purpose: the cases are a table of Alertmanager behaviours, one per test.
import { fingerprint, labelSetString, parseMatcher } from '../../src/alerts/model/labels';
import type { DispatchConfig, DispatchState } from '../../src/alerts/model/dispatch';
import {
  alertLabels,
  flushDue,
  newDispatchState,
  nextDue,
  putAlert,
  reroute,
} from '../../src/alerts/model/dispatch';
import type { Matcher, Notification, Route } from '../../src/alerts/model/types';

const S = 1000;
const route = (extra: Partial<Route> = {}): Route => ({
  matchers: [],
  receiver: 'hook',
  groupBy: ['alertname'],
  groupWaitMs: 30 * S,
  groupIntervalMs: 300 * S,
  repeatIntervalMs: 4 * 3600 * S,
  continue: false,
  ...extra,
});

function cfg(extra: Partial<DispatchConfig> = {}): DispatchConfig {
  return {
    routes: [route()],
    defaultRoute: null,
    receivers: { hook: { sendResolved: true }, pager: { sendResolved: false } },
    inhibit: [],
    externalURL: 'http://ui',
    generatorURL: 'http://ui/wf',
    ...extra,
  };
}

function fire(
  st: DispatchState,
  c: DispatchConfig,
  labels: Record<string, string>,
  at: number,
  flapping = false,
): string {
  return putAlert(
    st,
    c,
    {
      labels,
      annotations: { summary: 's' },
      status: 'firing',
      startsAt: new Date(at).toISOString(),
      endsAt: null,
      value: 1,
      flapping,
    },
    at,
  ).fingerprint;
}

function resolve(st: DispatchState, c: DispatchConfig, labels: Record<string, string>, at: number): void {
  putAlert(
    st,
    c,
    {
      labels,
      annotations: { summary: 's' },
      status: 'resolved',
      startsAt: new Date(0).toISOString(),
      endsAt: new Date(at).toISOString(),
      value: 0,
      flapping: false,
    },
    at,
  );
}

/** Flushes at every due time up to `until`; the notifications with their times. */
function runUntil(
  st: DispatchState,
  c: DispatchConfig,
  until: number,
): Array<{ at: number; n: Notification }> {
  const out: Array<{ at: number; n: Notification }> = [];
  for (let due = nextDue(st); due !== null && due <= until; due = nextDue(st)) {
    for (const n of flushDue(st, c, due)) out.push({ at: due, n });
  }
  return out;
}

const disk = (host: string): Record<string, string> => ({ alertname: 'DiskFull', host, severity: 'warning' });

describe('grouping (Alertmanager semantics)', () => {
  it('waits groupWait, then sends every alert of the group in one notification', () => {
    const st = newDispatchState();
    const c = cfg();
    for (let i = 0; i < 20; i++) fire(st, c, disk(`h${i}`), i * 100);
    const sent = runUntil(st, c, 60 * S);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.at).toBe(30 * S);
    expect(sent[0]!.n.payload.alerts).toHaveLength(20);
    expect(sent[0]!.n.groupKey).toBe('{}:{alertname="DiskFull"}');
  });

  it('a change after the first notification waits for groupInterval; nothing changed, nothing sent', () => {
    const st = newDispatchState();
    const c = cfg();
    fire(st, c, disk('a'), 0);
    runUntil(st, c, 30 * S);
    fire(st, c, disk('b'), 40 * S);
    const sent = runUntil(st, c, 400 * S);
    expect(sent.map((x) => x.at)).toEqual([330 * S]);
    expect(sent[0]!.n.payload.alerts.map((a) => a.labels.host)).toEqual(['a', 'b']);
  });

  it('repeats firing alerts every repeatInterval', () => {
    const st = newDispatchState();
    const c = cfg();
    fire(st, c, disk('a'), 0);
    const sent = runUntil(st, c, 9 * 3600 * S);
    expect(sent.map((x) => x.at)).toEqual([30 * S, 30 * S + 4 * 3600 * S, 30 * S + 8 * 3600 * S]);
  });

  it('a resolved alert is sent as resolved once (sendResolved), then leaves the group', () => {
    const st = newDispatchState();
    const c = cfg();
    fire(st, c, disk('a'), 0);
    runUntil(st, c, 30 * S);
    resolve(st, c, disk('a'), 100 * S);
    const sent = runUntil(st, c, 10 * 3600 * S);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.n.payload.status).toBe('resolved');
    expect(sent[0]!.n.payload.alerts[0]!.endsAt).toBe(new Date(100 * S).toISOString());
    expect(Object.keys(st.groups)).toEqual([]);
  });

  it('a receiver without sendResolved hears nothing on resolve', () => {
    const st = newDispatchState();
    const c = cfg({ routes: [route({ receiver: 'pager' })] });
    fire(st, c, disk('a'), 0);
    expect(runUntil(st, c, 30 * S)).toHaveLength(1);
    resolve(st, c, disk('a'), 100 * S);
    expect(runUntil(st, c, 10 * 3600 * S)).toHaveLength(0);
  });

  it('an alert that fires and resolves within groupWait is never notified', () => {
    const st = newDispatchState();
    const c = cfg();
    fire(st, c, disk('a'), 0);
    resolve(st, c, disk('a'), 10 * S);
    expect(runUntil(st, c, 3600 * S)).toHaveLength(0);
  });

  it('routes: first match wins, continue goes on, unmatched alerts take the default route', () => {
    const c = cfg({
      routes: [
        route({
          matchers: [{ name: 'severity', op: '=', value: 'critical' }],
          receiver: 'pager',
          continue: true,
        }),
        route({ matchers: [{ name: 'severity', op: '=~', value: 'critical|warning' }], receiver: 'hook' }),
      ],
      defaultRoute: route({ receiver: 'log' }),
      receivers: { pager: { sendResolved: true }, hook: { sendResolved: true }, log: { sendResolved: true } },
    });
    const st = newDispatchState();
    fire(st, c, { alertname: 'A', severity: 'critical' }, 0);
    fire(st, c, { alertname: 'B', severity: 'warning' }, 0);
    fire(st, c, { alertname: 'C', severity: 'info' }, 0);
    const got = runUntil(st, c, 60 * S).map(
      (x) => `${x.n.receiver}:${x.n.payload.alerts.map((a) => a.labels.alertname).join('')}`,
    );
    expect(got.sort()).toEqual(['hook:A', 'hook:B', 'log:C', 'pager:A']);
  });
});

describe('silences, acknowledgements, inhibition', () => {
  const silence = (st: DispatchState, matchers: Matcher[], endsAt: number, untilResolved = false): void => {
    st.silences.push({
      id: `s${st.silences.length}`,
      matchers,
      startsAt: new Date(0).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      createdBy: 't',
      comment: '',
      untilResolved,
      silenced: [],
      expiredAt: null,
    });
  };

  it('a silence suppresses; when it ends the alert is notified', () => {
    const st = newDispatchState();
    const c = cfg();
    silence(st, [{ name: 'host', op: '=', value: 'a' }], 600 * S);
    fire(st, c, disk('a'), 0);
    fire(st, c, disk('b'), 0);
    const first = runUntil(st, c, 60 * S);
    expect(first[0]!.n.payload.alerts.map((a) => a.labels.host)).toEqual(['b']);
    const later = runUntil(st, c, 1000 * S);
    expect(later).toHaveLength(1);
    expect(later[0]!.at).toBe(600 * S);
    expect(later[0]!.n.payload.alerts.map((a) => a.labels.host)).toEqual(['a', 'b']);
  });

  it('an until-resolved silence ends when the alerts it silenced resolve', () => {
    const st = newDispatchState();
    const c = cfg();
    silence(st, [{ name: 'alertname', op: '=', value: 'DiskFull' }], 3600 * S, true);
    fire(st, c, disk('a'), 0);
    expect(runUntil(st, c, 60 * S)).toHaveLength(0);
    resolve(st, c, disk('a'), 100 * S);
    expect(st.silences[0]!.expiredAt).toBe(new Date(100 * S).toISOString());
    // Fires again: no longer silenced.
    fire(st, c, disk('a'), 200 * S);
    expect(runUntil(st, c, 400 * S)).toHaveLength(1);
  });

  it('an ack stops repeats until the alert resolves; the resolve is still sent', () => {
    const st = newDispatchState();
    const c = cfg();
    const fp = fire(st, c, disk('a'), 0);
    runUntil(st, c, 30 * S);
    st.acks[fp] = { fingerprint: fp, by: 't', at: '', comment: '' };
    expect(runUntil(st, c, 9 * 3600 * S)).toHaveLength(0);
    resolve(st, c, disk('a'), 9 * 3600 * S);
    expect(st.acks[fp]).toBeUndefined();
    const sent = runUntil(st, c, 10 * 3600 * S);
    expect(sent.map((x) => x.n.payload.status)).toEqual(['resolved']);
  });

  it('a host-down alert inhibits the other alerts of that host only', () => {
    const st = newDispatchState();
    const c = cfg({
      routes: [route({ groupBy: ['host'] })],
      inhibit: [{ source: [{ name: 'ha_metric', op: '=', value: 'host.up' }], target: [], equal: ['host'] }],
    });
    fire(st, c, { alertname: 'HostDown', host: 'a', ha_metric: 'host.up' }, 0);
    fire(st, c, { alertname: 'DiskFull', host: 'a', ha_metric: 'fs.used_percent' }, 0);
    fire(st, c, { alertname: 'DiskFull', host: 'b', ha_metric: 'fs.used_percent' }, 0);
    const names = runUntil(st, c, 60 * S)
      .flatMap((x) => x.n.payload.alerts.map((a) => `${a.labels.alertname}@${a.labels.host}`))
      .sort();
    expect(names).toEqual(['DiskFull@b', 'HostDown@a']);
  });

  it('flapping is one notification with a flapping annotation, and its end is told', () => {
    const st = newDispatchState();
    const c = cfg();
    fire(st, c, disk('a'), 0, true);
    const first = runUntil(st, c, 60 * S);
    expect(first).toHaveLength(1);
    expect(first[0]!.n.payload.alerts[0]!.annotations.flapping).toBe('true');
    fire(st, c, disk('a'), 100 * S, false);
    const next = runUntil(st, c, 400 * S);
    expect(next).toHaveLength(1);
    expect(next[0]!.n.payload.alerts[0]!.annotations.flapping).toBeUndefined();
  });

  it('events are delivered once and never resolved', () => {
    const st = newDispatchState();
    const c = cfg();
    putAlert(
      st,
      c,
      {
        labels: { alertname: 'Failover', group: 'db' },
        annotations: {},
        status: 'firing',
        startsAt: new Date(0).toISOString(),
        endsAt: null,
        value: null,
        flapping: false,
        event: true,
      },
      0,
    );
    const sent = runUntil(st, c, 10 * 3600 * S);
    expect(sent).toHaveLength(1);
    expect(Object.keys(st.alerts)).toEqual([]);
  });
});

describe('fixes found in review', () => {
  const hostDown = {
    source: [{ name: 'ha_metric', op: '=' as const, value: 'host.up' }],
    target: [],
    equal: ['host'],
  };
  const event = (st: DispatchState, c: DispatchConfig, labels: Record<string, string>, at: number): void => {
    putAlert(
      st,
      c,
      {
        labels,
        annotations: {},
        status: 'firing',
        startsAt: new Date(at).toISOString(),
        endsAt: null,
        value: null,
        flapping: false,
        event: true,
      },
      at,
    );
  };
  const told = (sent: Array<{ n: Notification }>): string[] =>
    sent.flatMap((x) =>
      x.n.payload.alerts.map((a) => `${x.n.receiver}:${a.labels.alertname}@${a.labels.host}:${a.status}`),
    );

  it('an event about a host that is down is still told: events are never inhibited', () => {
    const st = newDispatchState();
    const c = cfg({ routes: [route({ groupBy: ['host'] })], inhibit: [hostDown] });
    fire(st, c, { alertname: 'HostDown', host: 'a', ha_metric: 'host.up' }, 0);
    event(st, c, { alertname: 'Failover', host: 'a' }, 0);
    expect(told(runUntil(st, c, 60 * S)).sort()).toEqual([
      'hook:Failover@a:firing',
      'hook:HostDown@a:firing',
    ]);
  });

  it('two host-down rules do not hide each other (both sides match both: Alertmanager rule)', () => {
    const st = newDispatchState();
    const c = cfg({ routes: [route({ groupBy: ['alertname'] })], inhibit: [hostDown] });
    fire(st, c, { alertname: 'HostDown', host: 'a', ha_metric: 'host.up', severity: 'warning' }, 0);
    fire(st, c, { alertname: 'HostDownLong', host: 'a', ha_metric: 'host.up', severity: 'critical' }, 0);
    expect(told(runUntil(st, c, 60 * S)).sort()).toEqual([
      'hook:HostDown@a:firing',
      'hook:HostDownLong@a:firing',
    ]);
  });

  it('an alert told firing, then silenced, is told resolved when it resolves', () => {
    const st = newDispatchState();
    const c = cfg();
    fire(st, c, disk('a'), 0);
    expect(told(runUntil(st, c, 60 * S))).toEqual(['hook:DiskFull@a:firing']);
    st.silences.push({
      id: 's1',
      matchers: [{ name: 'host', op: '=', value: 'a' }],
      startsAt: new Date(0).toISOString(),
      endsAt: new Date(7200 * S).toISOString(),
      createdBy: 't',
      comment: '',
      untilResolved: true,
      silenced: [],
      expiredAt: null,
    });
    fire(st, c, disk('a'), 100 * S); // still firing: recorded as silenced
    expect(runUntil(st, c, 1000 * S)).toEqual([]);
    resolve(st, c, disk('a'), 2000 * S);
    expect(told(runUntil(st, c, 3000 * S))).toEqual(['hook:DiskFull@a:resolved']);
  });

  it('an Alertmanager receiver keeps getting repeats of an acknowledged alert', () => {
    const st = newDispatchState();
    const c = cfg({
      routes: [route({ receiver: 'am', continue: true }), route()],
      receivers: { hook: { sendResolved: true }, am: { sendResolved: true, ackStopsRepeat: false } },
    });
    const fp = fire(st, c, disk('a'), 0);
    runUntil(st, c, 30 * S);
    st.acks[fp] = { fingerprint: fp, by: 't', at: '', comment: '' };
    const sent = runUntil(st, c, 9 * 3600 * S);
    expect(sent.map((x) => x.n.receiver)).toEqual(['am', 'am']);
    expect(sent[0]!.n.repeatIntervalMs).toBe(4 * 3600 * S);
  });

  describe('reroute after the routes changed', () => {
    const two = cfg({
      routes: [
        route({ receiver: 'pager', matchers: [{ name: 'severity', op: '=', value: 'critical' }] }),
        route(),
      ],
    });

    it('reordered routes: groups keep their route; an alert that moves is told by its new receiver at the next groupInterval', () => {
      const st = newDispatchState();
      fire(st, two, { ...disk('a'), severity: 'critical' }, 0);
      fire(st, two, disk('b'), 0);
      expect(told(runUntil(st, two, 60 * S)).sort()).toEqual([
        'hook:DiskFull@b:firing',
        'pager:DiskFull@a:firing',
      ]);
      const swapped = cfg({ ...two, routes: [two.routes[1]!, two.routes[0]!] });
      reroute(st, swapped, 100 * S);
      // The catch-all comes first now and takes a too; the pager's group is gone.
      expect(Object.values(st.groups).map((g) => g.receiver)).toEqual(['hook']);
      const sent = runUntil(st, swapped, 400 * S);
      expect(sent.map((x) => x.at)).toEqual([330 * S]);
      expect(told(sent)).toEqual(['hook:DiskFull@b:firing', 'hook:DiskFull@a:firing']);
      expect(sent[0]!.n.payload.notification_reason).toBe('new alerts added');
    });

    it('a removed route drops its groups; a removed default route does not crash anything', () => {
      const st = newDispatchState();
      const withDefault = cfg({ routes: [], defaultRoute: route({ receiver: 'pager' }) });
      fire(st, withDefault, disk('a'), 0);
      runUntil(st, withDefault, 60 * S);
      const none = cfg({ routes: [], defaultRoute: null });
      reroute(st, none, 100 * S);
      expect(st.groups).toEqual({});
      expect(() => runUntil(st, none, 9 * 3600 * S)).not.toThrow();
      resolve(st, none, disk('a'), 9 * 3600 * S);
      expect(runUntil(st, none, 10 * 3600 * S)).toEqual([]);
    });

    it('a changed groupBy regroups without sending an alert twice to the same group', () => {
      const st = newDispatchState();
      const c = cfg();
      fire(st, c, disk('a'), 0);
      fire(st, c, disk('b'), 0);
      runUntil(st, c, 60 * S);
      const byHost = cfg({ routes: [route({ groupBy: ['host'] })] });
      reroute(st, byHost, 100 * S);
      const groups = Object.values(st.groups);
      expect(groups.map((g) => g.members.length)).toEqual([1, 1]);
      const sent = runUntil(st, byHost, 200 * S);
      expect(sent.map((x) => x.n.groupKey).sort()).toEqual(['{}:{host="a"}', '{}:{host="b"}']);
    });
  });
});

describe('payload and labels', () => {
  it('is Alertmanager webhook v4, field for field', () => {
    const st = newDispatchState();
    const c = cfg();
    fire(st, c, disk('a'), 0);
    fire(st, c, disk('b'), 0);
    const p = runUntil(st, c, 60 * S)[0]!.n.payload;
    expect(Object.keys(p).sort()).toEqual(
      [
        'alerts',
        'commonAnnotations',
        'commonLabels',
        'externalURL',
        'groupKey',
        'groupLabels',
        'notification_reason',
        'receiver',
        'routeLabels',
        'status',
        'truncatedAlerts',
        'version',
      ].sort(),
    );
    expect(p).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'hook',
      groupLabels: { alertname: 'DiskFull' },
      commonLabels: { alertname: 'DiskFull', severity: 'warning' },
      commonAnnotations: { summary: 's' },
      externalURL: 'http://ui',
      truncatedAlerts: 0,
      notification_reason: 'first notification',
      routeLabels: {},
    });
    expect(Object.keys(p.alerts[0]!).sort()).toEqual(
      ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status'].sort(),
    );
    expect(p.alerts[0]!.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(p.alerts[0]!.fingerprint).toBe(fingerprint(disk('a')));
  });

  it('fingerprints are stable, 16 hex digits, independent of label order', () => {
    expect(fingerprint({ b: '2', a: '1' })).toBe(fingerprint({ a: '1', b: '2' }));
    expect(fingerprint({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint({ a: 'ü' })).not.toBe(fingerprint({ a: 'u' }));
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });

  it('matchers parse as Alertmanager writes them, and say what is wrong', () => {
    expect(parseMatcher('severity=~"warning|critical"')).toEqual({
      name: 'severity',
      op: '=~',
      value: 'warning|critical',
    });
    expect(parseMatcher('host!=a')).toEqual({ name: 'host', op: '!=', value: 'a' });
    expect(parseMatcher('bad')).toHaveProperty('error');
    expect(parseMatcher('a=~(')).toHaveProperty('error');
    expect(labelSetString({ b: '2', a: '1' })).toBe('{a="1", b="2"}');
  });

  it('alert labels carry the rule, the host and the sample labels; annotations are filled', () => {
    const r = alertLabels(
      {
        name: 'DiskFull',
        severity: 'critical',
        metric: 'fs.used_percent',
        labels: { team: 'ops' },
        annotations: { summary: '{{ mount }} on {{ host }} is {{ value }}% (> {{ threshold }})' },
        threshold: 90,
      },
      'alpha',
      { mount: '/data' },
      93.456,
    );
    expect(r.labels).toEqual({
      team: 'ops',
      mount: '/data',
      alertname: 'DiskFull',
      severity: 'critical',
      host: 'alpha',
      ha_metric: 'fs.used_percent',
    });
    expect(r.annotations.summary).toBe('/data on alpha is 93.46% (> 90)');
  });
});
