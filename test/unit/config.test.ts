// The config pipeline on malformed and valid files: each mistake with its exact position.
// Over 400 lines on purpose: most of it is the table of cases, one per kind of mistake.
import * as path from 'node:path';
import { ConfigError, formatIssue } from '../../src/platform/config/issues';
import type { ConfigIssue } from '../../src/platform/config/issues';
import { loadConfig, parseConfig } from '../../src/platform/registry-api';
import { ROOT } from '../setup/shared';

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, 'ha.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

const OK_HEAD = 'version: 1\nhosts:\n  - name: alpha\n  - name: beta\n';

interface Case {
  name: string;
  yaml: string;
  expect: Array<{ line: number; col?: number; path: string; message: RegExp }>;
}

// Each case: the exact line (and column where it matters), the path, and the message.
const cases: Case[] = [
  {
    name: 'tab-free bad indentation',
    yaml: 'version: 1\nhosts:\n  - name: a\n   bad: x\n',
    expect: [{ line: 4, path: '(yaml)', message: /YAML syntax: bad indentation/ }],
  },
  {
    name: 'duplicate key',
    yaml: 'version: 1\nversion: 1\nhosts: [{name: a}]\n',
    expect: [{ line: 2, col: 1, path: '(yaml)', message: /duplicated mapping key/ }],
  },
  {
    name: 'unclosed flow sequence',
    yaml: 'version: 1\nhosts: [{name: a}\nhealth: {}\n',
    expect: [{ line: 3, path: '(yaml)', message: /YAML syntax/ }],
  },
  {
    name: 'unknown alias',
    yaml: 'version: 1\nhosts: *missing\n',
    expect: [{ line: 2, col: 9, path: '(yaml)', message: /unidentified alias "missing"/ }],
  },
  {
    name: 'two documents',
    yaml: 'version: 1\nhosts: [{name: a}]\n---\nversion: 1\n',
    expect: [{ line: 2, path: '(yaml)', message: /single YAML document/ }],
  },
  {
    name: 'root is a list',
    yaml: '- version: 1\n',
    expect: [{ line: 1, col: 1, path: '(root)', message: /must be a mapping/ }],
  },
  {
    name: 'empty file',
    yaml: '# nothing here\n',
    expect: [{ line: 1, col: 1, path: '(root)', message: /must be a mapping/ }],
  },
  {
    name: 'missing version',
    yaml: 'hosts:\n  - name: a\n',
    expect: [{ line: 1, col: 1, path: 'version', message: /version must be 1/ }],
  },
  {
    name: 'wrong version',
    yaml: 'version: 3\nhosts: [{name: a}]\n',
    expect: [{ line: 1, col: 10, path: 'version', message: /version must be 1/ }],
  },
  {
    name: 'hosts is a mapping',
    yaml: 'version: 1\nhosts:\n  alpha: {}\n',
    expect: [{ line: 3, col: 3, path: 'hosts', message: /expected a list, got a mapping/ }],
  },
  {
    name: 'no hosts',
    yaml: 'version: 1\nhosts: []\n',
    expect: [{ line: 2, col: 8, path: 'hosts', message: /at least one host/ }],
  },
  {
    name: 'host without name',
    yaml: 'version: 1\nhosts:\n  - description: x\n',
    expect: [{ line: 3, col: 5, path: 'hosts[0].name', message: /required field is missing/ }],
  },
  {
    name: 'host name is a number',
    yaml: 'version: 1\nhosts:\n  - name: 42\n',
    expect: [{ line: 3, col: 11, path: 'hosts[0].name', message: /expected a string, got number 42/ }],
  },
  {
    name: 'host name with a space',
    yaml: 'version: 1\nhosts:\n  - name: "web 1"\n',
    expect: [{ line: 3, col: 11, path: 'hosts[0].name', message: /"web 1" is not a valid name/ }],
  },
  {
    name: 'host name with a colon (would break IDs)',
    yaml: 'version: 1\nhosts:\n  - name: "a:b"\n',
    expect: [{ line: 3, path: 'hosts[0].name', message: /is not a valid name/ }],
  },
  {
    name: 'duplicate host names',
    yaml: 'version: 1\nhosts:\n  - name: alpha\n  - name: alpha\n',
    expect: [
      {
        line: 4,
        col: 11,
        path: 'hosts[1].name',
        message: /duplicate host name "alpha" \(first defined at line 3\)/,
      },
    ],
  },
  {
    name: 'misspelt field with suggestion',
    yaml: 'version: 1\nhosts:\n  - name: a\n    descriptoin: x\n',
    expect: [
      {
        line: 4,
        col: 5,
        path: 'hosts[0].descriptoin',
        message: /unknown field "descriptoin"; did you mean "description"\?/,
      },
    ],
  },
  {
    name: 'unknown top-level section',
    yaml: OK_HEAD + 'backupz: []\n',
    expect: [{ line: 5, col: 1, path: 'backupz', message: /unknown field "backupz"/ }],
  },
  {
    name: 'duration without unit',
    yaml: OK_HEAD + 'health:\n  interval: 30\n',
    expect: [{ line: 6, col: 13, path: 'health.interval', message: /durations need a unit: write "30s"/ }],
  },
  {
    name: 'duration with unknown unit',
    yaml: OK_HEAD + 'health:\n  interval: 30 seconds\n',
    expect: [{ line: 6, col: 13, path: 'health.interval', message: /not a duration/ }],
  },
  {
    name: 'duration below minimum',
    yaml: OK_HEAD + 'health:\n  interval: 200ms\n',
    expect: [{ line: 6, path: 'health.interval', message: /too short: the minimum is 1s/ }],
  },
  {
    name: 'timeout not shorter than interval',
    yaml: OK_HEAD + 'health:\n  interval: 10s\n  timeout: 10s\n',
    expect: [{ line: 7, col: 12, path: 'health.timeout', message: /must be shorter than interval/ }],
  },
  {
    name: 'unknown host reference with suggestion',
    yaml: OK_HEAD + 'health:\n  hosts: [alpha, btea]\n',
    expect: [
      { line: 6, col: 18, path: 'health.hosts[1]', message: /unknown host "btea"; did you mean "beta"\?/ },
    ],
  },
  {
    name: 'host listed twice',
    yaml: OK_HEAD + 'health:\n  hosts:\n    - alpha\n    - alpha\n',
    expect: [{ line: 8, col: 7, path: 'health.hosts[1]', message: /listed twice/ }],
  },
  {
    name: 'boolean written as yes',
    yaml: OK_HEAD + 'health:\n  enabled: yes\n',
    expect: [
      { line: 6, col: 12, path: 'health.enabled', message: /expected true or false, got the string "yes"/ },
    ],
  },
  {
    name: 'labels must be strings',
    yaml: 'version: 1\nhosts:\n  - name: a\n    labels:\n      zone: [1]\n',
    expect: [{ line: 5, col: 13, path: 'hosts[0].labels.zone', message: /expected a string, got a list/ }],
  },
  // Backup sets.
  {
    name: 'backup on an unknown host',
    yaml: OK_HEAD + 'backups:\n  - name: db\n    host: gama\n    paths: [/srv]\n    destination: /b\n',
    expect: [{ line: 7, col: 11, path: 'backups[0].host', message: /unknown host "gama"/ }],
  },
  {
    name: 'backup without paths or commands',
    yaml: OK_HEAD + 'backups:\n  - name: db\n    host: alpha\n    destination: /b\n',
    expect: [{ line: 6, col: 5, path: 'backups[0]', message: /at least one entry in "paths" or "commands"/ }],
  },
  {
    name: 'cron with a bad field',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n    schedule: { cron: "0 25 * * *" }\n',
    expect: [
      {
        line: 10,
        col: 23,
        path: 'backups[0].schedule.cron',
        message: /cron hour "25": 25 is out of range 0-23/,
      },
    ],
  },
  {
    name: 'cron with four fields',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n    schedule: { cron: "0 2 * *" }\n',
    expect: [{ line: 10, path: 'backups[0].schedule.cron', message: /has 4 field\(s\); write 5/ }],
  },
  {
    name: 'schedule typo',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n    schedule: dayly\n',
    expect: [{ line: 10, col: 15, path: 'backups[0].schedule', message: /expected hourly, daily, weekly/ }],
  },
  {
    name: 'unknown time zone',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n    timezone: Mars/Olympus\n',
    expect: [
      { line: 10, col: 15, path: 'backups[0].timezone', message: /unknown time zone "Mars\/Olympus"/ },
    ],
  },
  {
    name: 'negative retention count',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n    retention: { keepDaily: -1 }\n',
    expect: [
      {
        line: 10,
        col: 29,
        path: 'backups[0].retention.keepDaily',
        message: /must be at least 0, got number -1/,
      },
    ],
  },
  {
    name: 'gzip level out of range',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n    gzipLevel: 12\n',
    expect: [{ line: 10, col: 16, path: 'backups[0].gzipLevel', message: /at most 9/ }],
  },
  {
    name: 'destination inside the backed-up path',
    yaml:
      OK_HEAD + 'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /srv/backups\n',
    expect: [
      { line: 9, col: 18, path: 'backups[0].destination', message: /inside the backed-up path \/srv/ },
    ],
  },
  {
    name: 'two sets share a destination',
    yaml:
      OK_HEAD +
      'backups:\n  - name: a\n    host: alpha\n    paths: [/srv/a]\n    destination: /b\n  - name: b\n    host: alpha\n    paths: [/srv/b]\n    destination: /b\n',
    expect: [{ line: 13, path: 'backups[1].destination', message: /already used by backups\[0\]/ }],
  },
  {
    name: 'shell command with several argv items',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    commands:\n      - name: d\n        argv: ["pg_dump", "app"]\n        shell: true\n    destination: /b\n',
    expect: [
      {
        line: 10,
        col: 15,
        path: 'backups[0].commands[0].argv',
        message: /with shell: true, argv must be one string/,
      },
    ],
  },
  {
    name: 'bad secret reference',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    commands:\n      - name: d\n        argv: ["dump"]\n        env: { PASS: "${not valid}" }\n    destination: /b\n',
    expect: [
      {
        line: 11,
        path: 'backups[0].commands[0].env.PASS',
        message: /not a valid environment variable reference/,
      },
    ],
  },
  {
    name: 'tilde path',
    yaml: OK_HEAD + 'backups:\n  - name: db\n    host: alpha\n    paths: [~/data]\n    destination: /b\n',
    expect: [{ line: 8, col: 13, path: 'backups[0].paths[0]', message: /"~" is not expanded/ }],
  },
  {
    name: 'hook onError typo',
    yaml:
      OK_HEAD +
      'backups:\n  - name: db\n    host: alpha\n    paths: [/srv]\n    destination: /b\n    hooks:\n      pre: [{ argv: [x], onError: ignore }]\n',
    expect: [
      { line: 11, path: 'backups[0].hooks.pre[0].onError', message: /expected one of "fail", "continue"/ },
    ],
  },
];

describe('config: malformed YAML and bad values', () => {
  it('has at least 20 cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));

  it.each(cases)('$name', ({ yaml, expect: wanted }) => {
    const issues = issuesOf(yaml);
    for (const w of wanted) {
      const hit = issues.find((i) => i.path === w.path && w.message.test(i.message));
      if (!hit)
        throw new Error(`no issue for ${w.path} ~ ${w.message}; got:\n${issues.map(formatIssue).join('\n')}`);
      expect(hit.line).toBe(w.line);
      if (w.col !== undefined) expect(hit.col).toBe(w.col);
      expect(hit.file).toBe('ha.yml');
    }
  });

  it('reports every mistake at once, sorted by position, one line each', () => {
    const text = [
      'version: 2',
      'hosts:',
      '  - name: alpha',
      '    labls: {}',
      '  - name: alpha',
      'health:',
      '  interval: 5',
      '  hosts: [gamma]',
      'extra: true',
    ].join('\n');
    const issues = issuesOf(text);
    const lines = issues.map(formatIssue);
    expect(lines).toEqual([
      'ha.yml:1:10  version  version must be 1 (the only config format so far)',
      'ha.yml:4:5  hosts[0].labls  unknown field "labls"; did you mean "labels"?',
      'ha.yml:5:11  hosts[1].name  duplicate host name "alpha" (first defined at line 3)',
      'ha.yml:7:13  health.interval  durations need a unit: write "5s" or "5m", not 5',
      'ha.yml:8:11  health.hosts[0]  unknown host "gamma"; defined hosts: alpha',
      'ha.yml:9:1  extra  unknown field "extra" (allowed: version, hosts, encryption, health, backups, alerts, notifications, services, failover, drPlans)',
    ]);
  });

  it('names the file when it cannot be read', () => {
    try {
      loadConfig('/nonexistent/ha.yml');
      throw new Error('expected failure');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect(formatIssue((err as ConfigError).issues[0]!)).toBe(
        '/nonexistent/ha.yml:1:1  (file)  cannot read config: file not found',
      );
    }
  });
});

describe('config: valid files', () => {
  it('loads the shipped default config', () => {
    const cfg = loadConfig(path.join(ROOT, 'config', 'high_availability.yml'));
    expect(cfg.hosts.map((h) => h.name)).toEqual(['local']);
    expect(cfg.health).not.toBeNull();
    expect(cfg.health!.intervalMs).toBeGreaterThan(cfg.health!.timeoutMs);
    expect(cfg.backups.map((b) => b.spec.set)).toEqual(['config']);
    expect(cfg.backups[0]!.spec.sources[0]!.path).toBe(path.join(ROOT, 'config'));
    expect(cfg.backups[0]!.spec.destination).toBe(path.join(ROOT, '.data', 'backups', 'config'));
  });

  it('applies defaults and normalises durations', () => {
    const cfg = parseConfig(OK_HEAD + 'health: {}\n', 'x.yml');
    expect(cfg.health).toEqual({ intervalMs: 30_000, timeoutMs: 10_000, hosts: ['alpha', 'beta'] });
    expect(cfg.hosts[0]).toEqual({ name: 'alpha', labels: {} });
  });

  it('treats an absent or disabled health section as off', () => {
    expect(parseConfig(OK_HEAD, 'x.yml').health).toBeNull();
    expect(parseConfig(OK_HEAD + 'health: {enabled: false}\n', 'x.yml').health).toBeNull();
  });

  it('accepts compound durations and a host subset', () => {
    const cfg = parseConfig(
      OK_HEAD + 'health:\n  interval: 1m30s\n  timeout: 45s\n  hosts: [beta]\n',
      'x.yml',
    );
    expect(cfg.health).toEqual({ intervalMs: 90_000, timeoutMs: 45_000, hosts: ['beta'] });
  });

  it('normalises a backup set: paths relative to the config file, schedules, retention, hooks', () => {
    const cfg = parseConfig(
      OK_HEAD +
        [
          'backups:',
          '  - name: db',
          '    host: beta',
          '    paths: [data, { path: /etc/app, exclude: ["*.bak"] }]',
          '    exclude: ["*.tmp"]',
          '    commands: [{ name: dump.sql, argv: [pg_dump, app], env: { PGPASSWORD: "${PG_PASS}" } }]',
          '    destination: ../backups/db',
          '    schedule: daily',
          '    timezone: Europe/Berlin',
          '    jitter: 5m',
          '    retention: { keepLast: 2, keepDaily: unlimited, keepWithin: 2d }',
          '    hooks: { pre: [{ argv: [systemctl, stop, app] }], post: [{ argv: [systemctl, start, app], onError: continue }] }',
          '    verify: { schedule: { every: 12h }, sample: 2 }',
          '    drill: { schedule: { cron: "@weekly" } }',
        ].join('\n') +
        '\n',
      '/etc/ha/ha.yml',
    );
    const b = cfg.backups[0]!;
    expect(b.spec).toEqual({
      set: 'db',
      host: 'beta',
      sources: [
        { path: '/etc/ha/data', exclude: ['*.tmp'] },
        { path: '/etc/app', exclude: ['*.tmp', '*.bak'] },
      ],
      commands: [
        {
          name: 'dump.sql',
          argv: ['pg_dump', 'app'],
          timeoutMs: 600_000,
          env: { PGPASSWORD: '${PG_PASS}' },
          shell: false,
        },
      ],
      destination: '/etc/backups/db',
      gzipLevel: 6,
      timezone: 'Europe/Berlin',
      retention: { keepLast: 2, keepDaily: 'unlimited', keepWithinMs: 172_800_000 },
      hooks: {
        pre: [
          { argv: ['systemctl', 'stop', 'app'], timeoutMs: 300_000, env: {}, shell: false, onError: 'fail' },
        ],
        post: [
          {
            argv: ['systemctl', 'start', 'app'],
            timeoutMs: 300_000,
            env: {},
            shell: false,
            onError: 'continue',
          },
        ],
      },
    });
    expect(b.schedule).toEqual({ cron: '0 0 * * *' });
    expect(b.jitterMs).toBe(300_000);
    expect(b.verify).toEqual({ schedule: { everyMs: 43_200_000 }, sample: 2 });
    expect(b.drill).toEqual({ schedule: { cron: '0 0 * * 0' } });
  });

  it('hashes the file content', () => {
    const a = parseConfig(OK_HEAD, 'x.yml');
    const b = parseConfig(OK_HEAD + '# comment\n', 'x.yml');
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.sha256).not.toBe(b.sha256);
  });
});
