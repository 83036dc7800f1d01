// The Prometheus text the state endpoint serves: the pure renderer, table-driven (names, label
// escaping, NaN and absent values), and every capability's families from status data.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { MetricFamily } from '../../src/platform/metrics/exposition';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  renderExposition,
} from '../../src/platform/metrics/exposition';
import type { Gathered } from '../../src/platform/metrics/state';
import { stateExporter, stateFamilies, stateMetricNames } from '../../src/platform/metrics/state';
import { statusSections } from '../../src/platform/registry-api';
import type { StatusReport } from '../../src/platform/status';
import type { BackupSetStatus } from '../../src/backup/status';
import type { GroupView } from '../../src/failover/model/types';
import type { ServiceView } from '../../src/redundancy/model/types';
import type { DrStatus } from '../../src/dr/status';
import { runOutcome } from '../../src/dr/status';
import { parseHostPort } from '../../src/platform/metrics/server';
import { ROOT } from '../setup/shared';

const gauge = (name: string, samples: MetricFamily['samples']): MetricFamily => ({
  name,
  help: 'h',
  type: 'gauge',
  samples,
});

describe('exposition format', () => {
  it.each([
    ['plain', 'plain'],
    ['back\\slash', 'back\\\\slash'],
    ['say "hi"', 'say \\"hi\\"'],
    ['two\nlines', 'two\\nlines'],
    ['ünïcödé & <tags>', 'ünïcödé & <tags>'],
  ])('label value %j -> %j', (v, out) => expect(escapeLabelValue(v)).toBe(out));

  it.each([
    ['a "quoted" word', 'a "quoted" word'],
    ['c:\\dir\nnext', 'c:\\\\dir\\nnext'],
  ])('help %j -> %j', (v, out) => expect(escapeHelp(v)).toBe(out));

  it.each([
    [0, '0'],
    [1.5, '1.5'],
    [-2, '-2'],
    [1796409964.425, '1796409964.425'],
    [1e21, '1e+21'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [true, '1'],
    [false, '0'],
  ])('value %p -> %s', (v, out) => expect(formatValue(v)).toBe(out));

  it('HELP and TYPE for every family, samples with labels in order, absent values left out', () => {
    const text = renderExposition([
      gauge('ha_a', [
        { labels: { set: 'x"y', host: 'h\\1' }, value: 3 },
        { labels: { set: 'gone' }, value: null },
        { labels: { set: 'undef' }, value: undefined },
        { labels: { set: 'nan' }, value: NaN },
      ]),
      { name: 'ha_b_total', help: 'line1\nline2', type: 'counter', samples: [{ value: 7 }] },
      gauge('ha_empty', []),
    ]);
    expect(text).toBe(
      [
        '# HELP ha_a h',
        '# TYPE ha_a gauge',
        'ha_a{set="x\\"y",host="h\\\\1"} 3',
        'ha_a{set="nan"} NaN',
        '# HELP ha_b_total line1\\nline2',
        '# TYPE ha_b_total counter',
        'ha_b_total 7',
        '# HELP ha_empty h',
        '# TYPE ha_empty gauge',
        '',
      ].join('\n'),
    );
    expect(renderExposition([])).toBe('');
  });

  it.each<[string, MetricFamily[], string]>([
    ['a bad metric name', [gauge('ha-dash', [])], 'invalid metric name "ha-dash"'],
    ['a name starting with a digit', [gauge('9ha', [])], 'invalid metric name "9ha"'],
    ['a bad label name', [gauge('ha_x', [{ labels: { 'a-b': '1' }, value: 1 }])], 'invalid label name "a-b"'],
    [
      'a reserved label name',
      [gauge('ha_x', [{ labels: { __name__: 'x' }, value: 1 }])],
      'invalid label name',
    ],
    ['a counter without _total', [{ ...gauge('ha_c', []), type: 'counter' }], 'must end in _total'],
    ['a gauge with _total', [gauge('ha_g_total', [])], 'must not end in _total'],
    ['a family twice', [gauge('ha_x', []), gauge('ha_x', [])], 'ha_x twice'],
    [
      'a series twice',
      [
        gauge('ha_x', [
          { labels: { a: '1', b: '2' }, value: 1 },
          { labels: { b: '2', a: '1' }, value: 2 },
        ]),
      ],
      'has the series',
    ],
  ])('refuses %s', (_what, families, message) => {
    expect(() => renderExposition(families)).toThrow(message);
  });

  it.each([
    ['127.0.0.1:9465', { host: '127.0.0.1', port: 9465 }],
    ['[::1]:9465', { host: '::1', port: 9465 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
  ])('listen address %s', (text, out) => expect(parseHostPort(text, '--listen')).toEqual(out));

  it.each(['9465', 'host', 'a:b', '127.0.0.1:70000', '::1:9465'])('refuses the address %s', (text) => {
    expect(() => parseHostPort(text, '--listen')).toThrow(`--listen ${text}: expected HOST:PORT`);
  });
});

const NOW = Date.parse('2026-12-01T12:00:00Z');
const set = (over: Partial<BackupSetStatus>): BackupSetStatus => ({
  set: 'db',
  host: 'alpha',
  newest: null,
  recoveryPointSeconds: null,
  lastFailure: null,
  lastRun: null,
  nextRunAt: null,
  running: false,
  ...over,
});
const group: GroupView = {
  group: 'pg',
  state: 'healthy',
  primary: 'pg2',
  mode: 'automatic',
  paused: false,
  nodes: ['pg1', 'pg2'].map((name) => ({
    name,
    host: name,
    role: 'standby',
    health: name === 'pg1' ? 'dead' : 'up',
    healthyVotes: 0,
    unhealthyVotes: 0,
    lag: null,
    fenced: false,
    observers: {},
  })),
  lastEvent: null,
  explain: '',
  pendingSwitchover: null,
  primaryChanges: { failover: 2, switchover: 1, forced: 0 },
  lastPrimaryChange: {
    at: '2026-12-01T11:00:00Z',
    kind: 'failover',
    from: 'pg1',
    to: 'pg2',
    timings: { detect: 1500, total: 4250 },
    candidates: [],
    reason: '',
    by: null,
  },
};
const service = { service: 'web', desired: 3, healthy: 2, paused: false, instances: [{}, {}, {}] };
const dr: DrStatus = {
  plans: 1,
  running: [],
  byPlan: [
    {
      plan: 'site',
      rtoTargetSeconds: 600,
      outcomes: { running: 1, completed: 2, aborted: 0, failed: 1, terminated: 1 },
      lastRecovered: { workflowId: 'dr:site:r2', endedAt: '2026-12-01T10:00:00Z', rtoSeconds: 312.5 },
    },
  ],
};
const report: StatusReport = {
  generatedAt: new Date(NOW).toISOString(),
  namespace: 'default',
  schedules: [{ id: 'backup:db', paused: true, nextRunAt: '2026-12-02T03:00:00Z', lastRunAt: null }],
  hosts: [{ host: 'alpha', state: 'up', ageSeconds: 1.5 }],
  backups: [
    set({
      newest: { id: 'b1', createdAt: '2026-12-01T11:00:00.500Z', files: 10, bytesOut: 4096, verified: true },
      lastRun: { status: 'FAILED', startedAt: '2026-12-01T11:30:00Z', closedAt: '2026-12-01T11:30:42Z' },
    }),
    set({ set: 'never', host: 'beta' }),
  ],
  alerts: {
    firing: [{ labels: { severity: 'critical' } }, { labels: { severity: 'critical' } }, { labels: {} }],
    pending: 4,
    silences: 1,
    receivers: [{ receiver: 'hook', queued: 0, delivered: 9, dropped: 1 }],
  },
  services: [service as unknown as ServiceView],
  failover: [group],
  dr,
};

/** `name{labels} value` lines of one family. */
function series(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('state families from status data', () => {
  const g: Gathered = { report, error: null, at: NOW - 2000, durationMs: 350 };
  const text = renderExposition(stateFamilies(g, statusSections(), NOW));

  it.each<[string, string[]]>([
    ['ha_state_up', ['ha_state_up 1']],
    ['ha_state_gather_duration_seconds', ['ha_state_gather_duration_seconds 0.35']],
    ['ha_schedule_paused', ['ha_schedule_paused{schedule="backup:db"} 1']],
    ['ha_schedule_last_run_timestamp_seconds', []],
    ['ha_host_up', ['ha_host_up{host="alpha"} 1']],
    [
      'ha_backup_newest_timestamp_seconds',
      ['ha_backup_newest_timestamp_seconds{set="db",host="alpha"} 1796122800.5'],
    ],
    // The age counts to the scrape, not to when the state was gathered.
    [
      'ha_backup_recovery_point_age_seconds',
      ['ha_backup_recovery_point_age_seconds{set="db",host="alpha"} 3600'],
    ],
    ['ha_backup_archive_bytes', ['ha_backup_archive_bytes{set="db",host="alpha"} 4096']],
    ['ha_backup_last_run_success', ['ha_backup_last_run_success{set="db",host="alpha"} 0']],
    [
      'ha_backup_last_run_duration_seconds',
      ['ha_backup_last_run_duration_seconds{set="db",host="alpha"} 42'],
    ],
    [
      'ha_backup_running',
      ['ha_backup_running{set="db",host="alpha"} 0', 'ha_backup_running{set="never",host="beta"} 0'],
    ],
    [
      'ha_alerts_firing',
      [
        'ha_alerts_firing{severity="info"} 0',
        'ha_alerts_firing{severity="warning"} 0',
        'ha_alerts_firing{severity="critical"} 2',
        'ha_alerts_firing{severity="none"} 1',
      ],
    ],
    ['ha_notifications_dropped_total', ['ha_notifications_dropped_total{receiver="hook"} 1']],
    ['ha_service_desired_instances', ['ha_service_desired_instances{service="web"} 3']],
    ['ha_service_healthy_instances', ['ha_service_healthy_instances{service="web"} 2']],
    [
      'ha_failover_primary',
      ['ha_failover_primary{group="pg",node="pg1"} 0', 'ha_failover_primary{group="pg",node="pg2"} 1'],
    ],
    [
      'ha_failover_node_up',
      ['ha_failover_node_up{group="pg",node="pg1"} 0', 'ha_failover_node_up{group="pg",node="pg2"} 1'],
    ],
    [
      'ha_failover_failovers_total',
      [
        'ha_failover_failovers_total{group="pg",kind="failover"} 2',
        'ha_failover_failovers_total{group="pg",kind="switchover"} 1',
        'ha_failover_failovers_total{group="pg",kind="forced"} 0',
      ],
    ],
    [
      'ha_failover_last_failover_duration_seconds',
      ['ha_failover_last_failover_duration_seconds{group="pg"} 4.25'],
    ],
    [
      'ha_dr_runs',
      [
        'ha_dr_runs{plan="site",outcome="running"} 1',
        'ha_dr_runs{plan="site",outcome="completed"} 2',
        'ha_dr_runs{plan="site",outcome="aborted"} 0',
        'ha_dr_runs{plan="site",outcome="failed"} 1',
        'ha_dr_runs{plan="site",outcome="terminated"} 1',
      ],
    ],
    ['ha_dr_last_rto_seconds', ['ha_dr_last_rto_seconds{plan="site"} 312.5']],
    ['ha_dr_rto_target_seconds', ['ha_dr_rto_target_seconds{plan="site"} 600']],
  ])('%s', (name, lines) => {
    expect(text).toContain(`# TYPE ${name} `);
    expect(series(text, name)).toEqual(lines);
  });

  it('a set without a backup has no timestamp, age or bytes (absent, not 0)', () => {
    expect(text).not.toMatch(
      /ha_backup_(newest_timestamp_seconds|recovery_point_age_seconds|archive_bytes)\{set="never"/,
    );
  });

  it('when gathering failed: ha_state_up 0 and every family still documented, without samples', () => {
    const failed = renderExposition(
      stateFamilies({ report: null, error: 'unreachable', at: NOW, durationMs: 5 }, statusSections(), NOW),
    );
    expect(series(failed, 'ha_state_up')).toEqual(['ha_state_up 0']);
    const samples = failed.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples.map((l) => l.split(/[ {]/)[0])).toEqual([
      'ha_build_info',
      'ha_state_up',
      'ha_state_gathered_timestamp_seconds',
      'ha_state_gather_duration_seconds',
    ]);
    for (const name of stateMetricNames(statusSections())) expect(failed).toContain(`# TYPE ${name} `);
  });

  it.each([
    [{ status: 'RUNNING', state: 'restore' }, 'running'],
    [{ status: 'COMPLETED', state: 'completed' }, 'completed'],
    [{ status: 'COMPLETED', state: 'aborted' }, 'aborted'],
    [{ status: 'COMPLETED', state: 'failed' }, 'failed'],
    [{ status: 'FAILED', state: 'restore' }, 'error'],
    [{ status: 'TERMINATED', state: 'restore' }, 'terminated'],
    [{ status: 'TIMED_OUT', state: '' }, 'timed_out'],
  ])('DR run %j has the outcome %s', (r, outcome) => expect(runOutcome(r)).toBe(outcome));
});

describe('the state exporter caches', () => {
  it('gathers once per cache period, once for scrapes that arrive together, and again after it', async () => {
    let now = NOW;
    let gathered = 0;
    let release: () => void = () => undefined;
    const exporter = stateExporter({
      client: {} as never,
      sections: statusSections(),
      cacheMs: 5_000,
      clock: () => now,
      gather: async () => {
        gathered++;
        await new Promise<void>((r) => (release = r));
        return report;
      },
    });
    const together = [exporter.scrape(), exporter.scrape(), exporter.scrape()];
    await new Promise((r) => setImmediate(r));
    release();
    const texts = await Promise.all(together);
    expect(new Set(texts).size).toBe(1);
    expect(gathered).toBe(1);
    now += 4_000;
    await exporter.scrape();
    expect(gathered).toBe(1);
    now += 2_000;
    const again = exporter.scrape();
    await new Promise((r) => setImmediate(r));
    release();
    await again;
    expect(gathered).toBe(2);
  });

  it('a failed gathering is served as ha_state_up 0 and says why', async () => {
    const errors: string[] = [];
    const exporter = stateExporter({
      client: {} as never,
      sections: statusSections(),
      cacheMs: 5_000,
      gather: () => Promise.reject(new Error('connection refused')),
      onError: (m) => errors.push(m),
    });
    expect(series(await exporter.scrape(), 'ha_state_up')).toEqual(['ha_state_up 0']);
    expect(errors).toEqual(['gathering the state failed: connection refused']);
  });
});

describe('deploy/: the dashboard and the alert rules use only exported names', () => {
  const exported = new Set(stateMetricNames(statusSections()));
  /** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
  const namesIn = (expr: string): string[] =>
    [
      ...expr
        .replace(/\{[^}]*\}/g, '')
        .replace(/"[^"]*"/g, '')
        .matchAll(/\b(ha_[a-z0-9_]+)\b/g),
    ].map((m) => m[1]!);

  it('every panel query of the Grafana dashboard', () => {
    const file = path.join(ROOT, 'deploy', 'grafana', 'ha-orchestrator.json');
    const dash = JSON.parse(readFileSync(file, 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(5);
    const used = exprs.flatMap(namesIn);
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
    // Every capability shows up on it.
    for (const prefix of ['ha_backup_', 'ha_failover_', 'ha_alerts_', 'ha_service_', 'ha_dr_'])
      expect(used.some((n) => n.startsWith(prefix))).toBe(true);
  });

  it('every alert rule expression', () => {
    const text = readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'ha-orchestrator.rules.yml'), 'utf8');
    const exprs = [...text.matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);
    expect(exprs.length).toBeGreaterThan(3);
    expect(exprs.flatMap(namesIn).filter((n) => !exported.has(n))).toEqual([]);
  });
});
