// What hactl prints: the formatting module and every pure render function, table-driven.
// Over 400 lines on purpose: every render function of hactl, one table each, side by side.
import { formatAge, formatBytes, formatPercent, formatRate, formatSeconds } from '../../src/core/format';
import {
  renderBackupResult,
  renderDrill,
  renderListing,
  renderPrune,
  renderRestoreResult,
  renderVerify,
} from '../../src/backup/cli/render';
import { renderBackupStatus } from '../../src/backup/status';
import type { BackupResult, RestoreResult } from '../../src/backup/model/types';
import { renderHostStatus } from '../../src/health/status';
import type { HostStatus } from '../../src/health/status';
import { renderApply } from '../../src/platform/cli/commands/apply';
import { renderHosts } from '../../src/platform/cli/commands/hosts';
import { formatTable } from '../../src/platform/cli/table';
import type { ApplyResult } from '../../src/platform/reconcile/apply';
import {
  computePlan,
  desiredState,
  parseConfig,
  statusSections,
  summariseConfig,
} from '../../src/platform/registry-api';
import { renderStatus } from '../../src/platform/status';
import { renderAlerts, renderAlertsStatus, renderSilences } from '../../src/alerts/cli/render';
import type { AlertView } from '../../workflows/alerts/messages';

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
    [3 * 1024 ** 3, '3.00 GiB'],
  ])('bytes %d -> %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it('rates, ages, seconds and percentages, with "-" for unknown', () => {
    expect([formatRate(2048), formatRate(null), formatRate(undefined)]).toEqual(['2.0 KiB/s', '-', '-']);
    expect([formatAge(90), formatAge(null)]).toEqual(['1m30s ago', '-']);
    expect([formatSeconds(3600), formatSeconds(null)]).toEqual(['1h', '-']);
    expect([formatPercent(42.4), formatPercent(undefined)]).toEqual(['42%', '-']);
  });

  it('aligns table columns and trims the last one', () => {
    expect(
      formatTable(
        ['A', 'LONG'],
        [
          ['xyz', 'v'],
          ['1', ''],
        ],
      ),
    ).toEqual(['A    LONG', 'xyz  v', '1']);
  });
});

const backupResult: BackupResult = {
  set: 'db',
  id: '20260101T000000Z-abc123',
  host: 'alpha',
  createdAt: '2026-01-01T00:00:00.000Z',
  archive: 'x.tar.gz',
  bytesIn: 2048,
  bytesOut: 1024,
  files: 3,
  durationMs: 1500,
  verified: true,
  warnings: ['file changed while being read: /srv/a'],
  retention: { removed: ['20251201T000000Z-aaaaaa'], kept: 3 },
  hooks: [
    { argv: ['stop'], exitCode: 0, ok: true, durationMs: 1, output: '' },
    { argv: ['notify', 'x'], exitCode: 3, ok: false, durationMs: 1, output: '' },
  ],
};

const restoreResult: RestoreResult = {
  set: 'db',
  id: '20260101T000000Z-abc123',
  host: 'alpha',
  target: '/srv/restore',
  files: 3,
  dirs: 2,
  symlinks: 1,
  bytes: 4096,
  durationMs: 250,
  previous: '/srv/restore.ha-previous-20260101T000000Z-abcd1234',
};

describe('backup and restore output', () => {
  it('a backup result: one line, then warnings, retention and hooks that failed', () => {
    expect(renderBackupResult(backupResult)).toEqual([
      'backup 20260101T000000Z-abc123 of db on alpha: 3 files, 2.0 KiB in, 1.0 KiB archive, 2s',
      '  warning: file changed while being read: /srv/a',
      '  retention removed: 20251201T000000Z-aaaaaa',
      '  hook notify x failed (exit 3), continued',
    ]);
  });

  it('a restore result names where the previous content went', () => {
    expect(renderRestoreResult(restoreResult)).toEqual([
      'restored backup 20260101T000000Z-abc123 of db into /srv/restore on alpha: 3 files, 2 dirs, 1 symlinks, 4.0 KiB in 250ms',
      '  previous content kept in /srv/restore.ha-previous-20260101T000000Z-abcd1234',
    ]);
    expect(renderRestoreResult({ ...restoreResult, previous: null })).toHaveLength(1);
  });

  it('a listing, empty or with damaged backups and orphans', () => {
    const where = { destination: '/b', host: 'alpha' };
    expect(renderListing({ backups: [], unreadable: [], damaged: [], orphans: [] }, 'db', where)).toEqual([
      'no backups of db in /b on alpha',
    ]);
    const lines = renderListing(
      {
        backups: [
          {
            id: 'i1',
            set: 'db',
            host: 'alpha',
            createdAt: '2026-01-01T00:00:00.000Z',
            archive: 'i1.tar.gz',
            archiveBytes: 2048,
            archiveSha256: 'x',
            gzipLevel: 6,
            sources: [],
            commands: [],
            files: 7,
            dirs: 1,
            symlinks: 0,
            bytesIn: 4096,
            warnings: [],
          },
        ],
        unreadable: [{ id: 'u1', error: 'bad json' }],
        damaged: [{ id: 'd1', reason: 'archive missing' }],
        orphans: ['o1'],
      },
      'db',
      where,
    );
    expect(lines).toEqual([
      'ID  CREATED                   FILES  DATA     ARCHIVE  WARNINGS',
      'i1  2026-01-01T00:00:00.000Z  7      4.0 KiB  2.0 KiB  0',
      'unreadable manifest u1: bad json',
      'damaged, not a backup any more: d1: archive missing',
      'archives without a manifest (interrupted runs, removed by the next backup): o1',
    ]);
  });

  it('verify, prune (dry run and real) and drill', () => {
    expect(renderVerify([], 'db')).toEqual(['no backups of db to verify']);
    expect(
      renderVerify([{ id: 'i1', status: 'corrupted', detail: 'bad sum', bytes: 1, files: 0 }], 'db'),
    ).toEqual(['ID  STATUS     DETAIL', 'i1  corrupted  bad sum']);
    const decisions = [
      { id: 'i1', createdAt: 't1', keep: true, reasons: ['last 1'] },
      { id: 'i0', createdAt: 't0', keep: false, reasons: [] },
    ];
    expect(renderPrune(decisions, true).slice(-2)).toEqual([
      'i0  t0       would remove',
      '1 kept, 1 to remove (dry run)',
    ]);
    expect(renderPrune(decisions, false).at(-1)).toBe('1 kept, 1 removed');
    expect(renderDrill(restoreResult, 'db')).toEqual([
      'drill ok: backup 20260101T000000Z-abc123 of db restored and checked (3 files, 4.0 KiB) in 250ms',
    ]);
  });
});

const host: HostStatus = {
  host: 'alpha',
  state: 'up',
  since: 't',
  snapshotAt: 't',
  ageSeconds: 12.5,
  lastReportAt: 't',
  error: null,
  snapshot: {
    host: 'alpha',
    collectedAt: 't',
    worker: { pid: 1, hostname: 'h', version: 'v' },
    cpu: { cores: 2, loadPercent: 12.3, perCorePercent: [1, 2], loadAverage: [0, 0, 0] },
    memory: { totalBytes: 10, usedBytes: 5, availableBytes: 5, usedPercent: 50 },
    swap: { totalBytes: 0, usedBytes: 0, freeBytes: 0 },
    filesystems: [
      { mount: '/', fs: 'sda', type: 'ext4', sizeBytes: 1, usedBytes: 1, availableBytes: 0, usedPercent: 71 },
      {
        mount: '/srv',
        fs: 'sdb',
        type: 'ext4',
        sizeBytes: 1,
        usedBytes: 1,
        availableBytes: 0,
        usedPercent: 93,
      },
    ],
    network: [{ iface: 'eth0', rxBytes: 1, txBytes: 1, rxBytesPerSec: 2048, txBytesPerSec: 1024 }],
    processes: { total: 1, running: 1, blocked: 0, sleeping: 0 },
    tcp: { established: 0, listening: 0, total: 0 },
    cost: { wallMs: 1, cpuMs: 1 },
  },
};

describe('status, hosts and apply output', () => {
  it('hosts in status: the fullest filesystem, traffic, and the reason a host is down', () => {
    expect(
      renderHostStatus([
        host,
        { ...host, host: 'beta', state: 'down', snapshot: null, ageSeconds: null, error: 'no answer' },
      ]),
    ).toEqual([
      'HOST   STATE  SNAPSHOT AGE  CPU  MEM  FULLEST FS  NET RX/TX              NOTE',
      'alpha  up     13s           12%  50%  /srv 93%    2.0 KiB/s / 1.0 KiB/s',
      'beta   down   -             -    -    -           -                      no answer',
    ]);
  });

  it('backup sets in status: recovery point and what went wrong; nothing when there are none', () => {
    expect(renderBackupStatus([])).toEqual([]);
    expect(
      renderBackupStatus([
        {
          set: 'db',
          host: 'alpha',
          newest: { id: 'i1', createdAt: 't', files: 1, bytesOut: 1, verified: true },
          recoveryPointSeconds: 3600,
          lastFailure: { at: 't2', workflowId: 'w' },
          lastRun: { status: 'FAILED', startedAt: 't1', closedAt: 't2' },
          nextRunAt: 'n',
          running: true,
        },
      ]),
    ).toEqual([
      'BACKUP SET  HOST   NEWEST VERIFIED  RECOVERY POINT  NEXT RUN  NOTE',
      'db          alpha  i1               1h ago          n         running now; last run failed t2',
    ]);
  });

  it('the whole status: sections in registry order, then schedules, a blank line between', () => {
    const lines = renderStatus(
      {
        generatedAt: 'g',
        namespace: 'default',
        hosts: [host],
        backups: [],
        schedules: [{ id: 'health:snapshots', paused: false, lastRunAt: null, nextRunAt: 'n' }],
      },
      statusSections(),
    );
    expect(lines[0]).toMatch(/^HOST/);
    expect(lines.slice(-3)).toEqual([
      '',
      'SCHEDULE          PAUSED  LAST RUN  NEXT RUN',
      'health:snapshots  no      -         n',
    ]);
  });

  it('live hosts, and none', () => {
    expect(renderHosts([])).toEqual(['No live host workers.']);
    expect(
      renderHosts([
        {
          host: 'alpha',
          version: '0.1.0',
          uptimeSeconds: 61,
          pid: 7,
          machine: 'm',
          lastSeenAt: 't',
          workers: 2,
        },
      ]),
    ).toEqual([
      'HOST                VERSION  UPTIME  PID  MACHINE  LAST SEEN',
      'alpha (2 workers!)  0.1.0    1m1s    7    m        t',
    ]);
  });

  it('apply: each step, then what was (or would be) done', () => {
    const cfg = parseConfig('version: 1\nhosts:\n  - name: alpha\nhealth: {}\n', 'x.yml');
    const plan = computePlan(desiredState(cfg), []);
    const r: ApplyResult = {
      plan,
      created: ['health:snapshots', 'monitor:alpha'],
      updated: [],
      deleted: [],
      unchanged: [],
      conflicts: [],
      dryRun: true,
    };
    const lines = renderApply(r, true);
    expect(lines).toContain('would create    controller monitor:alpha  (health monitor of host alpha)');
    expect(lines.at(-1)).toBe(
      'Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged. Nothing was changed (dry run).',
    );
    expect(renderApply({ ...r, plan: { steps: [] }, created: [], unchanged: ['a'] }, false)).toEqual([
      'No changes: 1 unchanged.',
    ]);
  });

  it('config validate: the hosts and each section in a line', () => {
    const cfg = parseConfig('version: 1\nhosts:\n  - name: alpha\n', 'x.yml');
    expect(summariseConfig('x.yml', cfg)).toBe('x.yml: ok (1 host(s): alpha; health off)');
  });
});

describe('alerts renders', () => {
  const alert = (extra: Partial<AlertView>): AlertView => ({
    fingerprint: '0123456789abcdef',
    labels: {
      alertname: 'DiskFull',
      host: 'alpha',
      severity: 'warning',
      ha_metric: 'fs.used_percent',
      mount: '/',
    },
    annotations: {},
    status: 'firing',
    state: 'firing',
    startsAt: '2026-11-27T10:00:00.000Z',
    endsAt: null,
    value: 93.456,
    flapping: false,
    silencedBy: [],
    inhibitedBy: [],
    ack: null,
    updatedAt: '2026-11-27T10:00:00.000Z',
    ...extra,
  });

  it('lists firing before pending before resolved, with extra labels, value and notes', () => {
    const lines = renderAlerts([
      alert({
        state: 'resolved',
        status: 'resolved',
        endsAt: '2026-11-27T11:00:00.000Z',
        labels: { alertname: 'Old', host: 'b' },
      }),
      alert({ state: 'pending', labels: { alertname: 'MemHigh', host: 'b' }, value: null }),
      alert({
        flapping: true,
        silencedBy: ['s1'],
        ack: { fingerprint: 'x', by: 'ops', at: '', comment: '' },
      }),
    ]);
    expect(lines[0]).toMatch(/^STATE\s+ALERT\s+HOST\s+SEVERITY\s+VALUE\s+SINCE\s+FINGERPRINT\s+NOTE$/);
    expect(lines[1]).toMatch(
      /^firing\s+DiskFull \{mount=\/\}\s+alpha\s+warning\s+93\.46\s+2026-11-27T10:00:00\.000Z\s+0123456789abcdef\s+flapping; silenced \(s1\); acked by ops$/,
    );
    expect(lines[2]).toMatch(/^pending\s+MemHigh\s+b\s+-\s+-\s/);
    expect(lines[3]).toMatch(/^resolved\s+Old\s+b\s+-\s+93\.46\s+resolved 2026-11-27T11:00:00\.000Z/);
    expect(renderAlerts([])).toEqual(['No alerts.']);
  });

  it('lists silences with their end, author and state', () => {
    const lines = renderSilences([
      {
        id: 'ab12cd34',
        matchers: [{ name: 'host', op: '=~', value: 'db.*' }],
        startsAt: '2026-11-27T10:00:00.000Z',
        endsAt: '2026-11-27T12:00:00.000Z',
        createdBy: 'ops',
        comment: 'kernel update',
        untilResolved: true,
        silenced: [],
        expiredAt: null,
      },
    ]);
    expect(lines[1]).toMatch(
      /^ab12cd34\s+host=~"db\.\*"\s+2026-11-27T12:00:00\.000Z or on resolve\s+ops\s+active\s+kernel update$/,
    );
    expect(renderSilences([])).toEqual(['No silences.']);
  });

  it('the status section: a count line, the firing alerts, then each receiver', () => {
    expect(renderAlertsStatus(null)).toEqual([]);
    expect(renderAlertsStatus({ firing: [], pending: 2, silences: 1, receivers: [] })).toEqual([
      'ALERTS: none firing (2 pending, 1 active silence(s))',
    ]);
    const lines = renderAlertsStatus({
      firing: [alert({})],
      pending: 0,
      silences: 0,
      receivers: [
        {
          receiver: 'hook',
          queued: 3,
          delivered: 10,
          dropped: 1,
          lastDeliveredAt: null,
          lastError: 'hook: 503',
        },
      ],
    });
    expect(lines[0]).toBe('ALERTS: 1 firing, 0 pending, 0 active silence(s)');
    expect(lines[2]).toMatch(/^firing\s+DiskFull/);
    expect(lines.at(-2)).toMatch(/^RECEIVER\s+QUEUED\s+DELIVERED\s+DROPPED\s+LAST DELIVERED\s+LAST ERROR$/);
    expect(lines.at(-1)).toMatch(/^hook\s+3\s+10\s+1\s+-\s+hook: 503$/);
  });
});
