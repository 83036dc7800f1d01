// The services section: what it normalises to (Kubernetes' probe defaults, the systemd
// shorthand, label selectors), and every mistake located.
import { ConfigError } from '../../src/platform/config/issues';
import { parseConfig } from '../../src/platform/registry-api';

const HEAD = `version: 1
hosts:
  - { name: alpha, labels: { role: web } }
  - { name: beta, labels: { role: web } }
  - { name: gamma, maintenance: true }
`;

function messages(yaml: string): string[] {
  try {
    parseConfig(yaml, 'ha.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
    throw err;
  }
  return [];
}

describe('services config', () => {
  it('normalises commands, probes with Kubernetes defaults, the restart ladder and a label selector', () => {
    const cfg = parseConfig(
      `${HEAD}services:
  - name: web
    hosts: { labels: { role: web } }
    minInstances: 2
    start: { argv: [/srv/web/start, '\${HA_INSTANCE}'] }
    stop: { argv: [/srv/web/stop], timeout: 1m }
    probes:
      - { type: http, url: 'http://127.0.0.1:8080/health', expectStatus: 200, bodyContains: ok }
      - { type: tcp, address: '127.0.0.1:\${PORT}', interval: 1s, failureThreshold: 2 }
    restart: { inPlace: 5, window: 5m, backoff: { initial: 1s, max: 1m }, giveUpAfter: 1h }
`,
      '/srv/ha/ha.yml',
    );
    const s = cfg.services[0]!.spec;
    expect(s).toMatchObject({
      name: 'web',
      hosts: ['alpha', 'beta'],
      minInstances: 2,
      maxInstances: 2,
      maxPerHost: 1,
      start: { argv: ['/srv/web/start', '${HA_INSTANCE}'], timeoutMs: 30_000, shell: false },
      stop: { timeoutMs: 60_000 },
      status: null,
      restart: {
        inPlace: 5,
        windowMs: 300_000,
        backoff: { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.1 },
        giveUpAfterMs: 3_600_000,
        resetAfterMs: 600_000,
      },
    });
    expect(s.probes).toEqual([
      {
        type: 'http',
        url: 'http://127.0.0.1:8080/health',
        expectStatus: [200],
        bodyContains: 'ok',
        intervalMs: 10_000,
        timeoutMs: 1000,
        failureThreshold: 3,
        successThreshold: 1,
        initialDelayMs: 0,
      },
      {
        type: 'tcp',
        address: '127.0.0.1:${PORT}',
        intervalMs: 1000,
        timeoutMs: 1000,
        failureThreshold: 2,
        successThreshold: 1,
        initialDelayMs: 0,
      },
    ]);
  });

  it('systemd: expands to systemctl, and is-active is the probe when none is given', () => {
    const cfg = parseConfig(
      `${HEAD}services:\n  - { name: nginx, systemd: nginx.service, hosts: [alpha, beta] }\n`,
      'ha.yml',
    );
    const s = cfg.services[0]!.spec;
    expect(s.start.argv).toEqual(['systemctl', 'start', 'nginx.service']);
    expect(s.stop.argv).toEqual(['systemctl', 'stop', 'nginx.service']);
    expect(s.status!.argv).toEqual(['systemctl', 'is-active', '--quiet', 'nginx.service']);
    expect(s.probes).toEqual([
      expect.objectContaining({ type: 'command', command: s.status, intervalMs: 10_000 }),
    ]);
  });

  it('every host by default; hosts in maintenance go to the controller', () => {
    const cfg = parseConfig(`${HEAD}services:\n  - { name: x, systemd: x }\n`, 'ha.yml');
    expect(cfg.services[0]!.spec.hosts).toEqual(['alpha', 'beta', 'gamma']);
    expect(cfg.hosts.find((h) => h.name === 'gamma')).toMatchObject({ maintenance: true });
    expect(cfg.hosts.find((h) => h.name === 'alpha')).not.toHaveProperty('maintenance');
  });

  it('locates every mistake', () => {
    expect(
      messages(`${HEAD}services:
  - name: web
    hosts: [alpha, betta]
    minInstances: 3
    maxInstances: 1
    systemd: web
    start: { argv: [x] }
    probes:
      - { type: http, url: 'ftp://x' }
      - { type: tcp, address: 'nohostport', timeout: 20s, interval: 10s }
      - { type: grpc }
    restart: { backoff: { initial: 10m, max: 1m } }
  - name: web
    start: { argv: [x] }
`),
    ).toEqual([
      '8:20 services[0].hosts[1] unknown host "betta"; did you mean "beta"?',
      '10:19 services[0].maxInstances maxInstances 1 is below minInstances 3',
      '11:14 services[0].systemd use either systemd: <unit> or start/stop commands, not both',
      '14:28 services[0].probes[0].url url must be an http(s) URL',
      '15:31 services[0].probes[1].address address is host:port, e.g. 127.0.0.1:5432',
      '15:54 services[0].probes[1].timeout timeout 20s is longer than interval 10s',
      '16:17 services[0].probes[2].type a probe needs a type: http, tcp or command',
      '17:46 services[0].restart.backoff.max max 1m is below initial 10m',
      '18:5 services[1] service needs a stop command (argv), or systemd: <unit> for systemctl',
      '18:5 services[1] service needs probes or a status command: without them its health cannot be seen',
      '18:11 services[1].name duplicate service name "web" (first defined at line 7)',
    ]);
  });

  it('refuses more instances than the hosts can hold, and a selector that matches nothing', () => {
    expect(
      messages(`${HEAD}services:\n  - { name: a, systemd: a, hosts: [alpha], minInstances: 2 }\n`),
    ).toEqual([
      '7:58 services[0].minInstances service "a" wants 2 instances but 1 host(s) × maxPerHost 1 hold at most 1',
    ]);
    expect(
      messages(`${HEAD}services:\n  - { name: a, systemd: a, hosts: { labels: { role: db } } }\n`),
    ).toEqual(['7:35 services[0].hosts service "a": no host matches its hosts selector']);
  });
});
