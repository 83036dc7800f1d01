// The alerts and notifications sections: what they normalise to, and every mistake located.
import { ConfigError } from '../../src/platform/config/issues';
import { parseConfig } from '../../src/platform/registry-api';

const HEAD = 'version: 1\nhosts:\n  - name: alpha\n    labels: { zone: eu }\n  - name: beta\n';

function messages(yaml: string): string[] {
  try {
    parseConfig(yaml, 'ha.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
    throw err;
  }
  return [];
}

describe('alerts config', () => {
  it('normalises rules, the default inhibition, receivers and routes', () => {
    const cfg = parseConfig(
      `${HEAD}alerts:
  rules:
    - { name: DiskFull, metric: fs.used_percent, where: { mount: / }, threshold: 90, resolve: 85, for: 3 samples, hosts: { labels: { zone: eu } } }
    - { name: Old, metric: backup.recovery_point_seconds, threshold: 2h, for: 5m, keepFiringFor: 1m, severity: critical }
notifications:
  receivers:
    - { name: hook, type: webhook, url: 'http://x/y', hmacSecret: '\${S}' }
    - { name: f, type: file, host: beta, path: out.jsonl }
  routes:
    - { receiver: f, matchers: ['severity=~crit.*'], continue: true }
`,
      '/srv/ha/ha.yml',
    );
    expect(cfg.alerts!.rules[0]).toMatchObject({
      threshold: 90,
      resolve: 85,
      for: { samples: 3 },
      hosts: ['alpha'],
      where: { mount: '/' },
    });
    expect(cfg.alerts!.rules[1]).toMatchObject({
      threshold: 7200,
      for: { ms: 300_000 },
      keepFiringForMs: 60_000,
      hosts: null,
    });
    expect(cfg.alerts!.inhibit).toEqual([
      { source: [{ name: 'ha_metric', op: '=', value: 'host.up' }], target: [], equal: ['host'] },
    ]);
    expect(cfg.notifications!.receivers[1]).toMatchObject({
      type: 'file',
      host: 'beta',
      path: '/srv/ha/out.jsonl',
      maxAgeMs: 86_400_000,
    });
    expect(cfg.notifications!.routes[0]).toMatchObject({
      matchers: [{ name: 'severity', op: '=~', value: 'crit.*' }],
      groupWaitMs: 30_000,
      continue: true,
    });
    expect(cfg.notifications!.defaultRoute!.receiver).toBe('hook');
  });

  it.each([
    [
      'an unknown metric, with a suggestion',
      'alerts:\n  rules:\n    - { name: A, metric: fs.used_precent, threshold: 1 }\n',
      /8:\d+ alerts.rules\[0\].metric unknown metric "fs.used_precent"; did you mean "fs.used_percent"\?/,
    ],
    [
      'a label the metric does not have',
      'alerts:\n  rules:\n    - { name: A, metric: memory.used_percent, where: { mount: / }, threshold: 1 }\n',
      /alerts.rules\[0\].where.mount metric memory.used_percent has no label "mount"/,
    ],
    [
      'resolve on the wrong side',
      'alerts:\n  rules:\n    - { name: A, metric: cpu.load_percent, threshold: 90, resolve: 95 }\n',
      /alerts.rules\[0\].resolve resolve 95 is on the wrong side of threshold 90/,
    ],
    [
      'resolve with ==',
      "alerts:\n  rules:\n    - { name: A, metric: host.up, op: '==', threshold: 0, resolve: 1 }\n",
      /resolve \(hysteresis\) needs an ordering operator/,
    ],
    [
      'an unknown template name',
      "alerts:\n  rules:\n    - { name: A, metric: cpu.load_percent, threshold: 9, annotations: { s: '{{ mount }}' } }\n",
      /alerts.rules\[0\].annotations.s \{\{ mount \}\} is not known here/,
    ],
    [
      'duplicate rule names',
      'alerts:\n  rules:\n    - { name: A, metric: host.up, threshold: 1 }\n    - { name: A, metric: host.up, threshold: 1 }\n',
      /duplicate alert rule name "A"/,
    ],
    [
      'an unknown host',
      'alerts:\n  rules:\n    - { name: A, metric: host.up, threshold: 1, hosts: [gamma] }\n',
      /alerts.rules\[0\].hosts\[0\] unknown host "gamma"/,
    ],
    [
      '`for` that is neither samples nor a duration',
      "alerts:\n  rules:\n    - { name: A, metric: host.up, threshold: 1, for: 'three' }\n",
      /alerts.rules\[0\].for/,
    ],
    [
      'an unknown receiver in a route',
      'notifications:\n  receivers: [{ name: hook, type: log }]\n  routes: [{ receiver: hok }]\n',
      /notifications.routes\[0\].receiver unknown receiver "hok"; did you mean "hook"\?/,
    ],
    [
      'a bad matcher',
      "notifications:\n  receivers: [{ name: hook, type: log }]\n  routes: [{ receiver: hook, matchers: ['a=~('] }]\n",
      /notifications.routes\[0\].matchers\[0\] "\(" in "a=~\(" is not a valid regular expression/,
    ],
    [
      'a secret written in clear',
      "notifications:\n  receivers: [{ name: hook, type: webhook, url: 'http://x', hmacSecret: 'hunter2' }]\n",
      /hmacSecret write the secret as a reference/,
    ],
    [
      'a file receiver without a host, on several hosts',
      'notifications:\n  receivers: [{ name: f, type: file, path: x }]\n',
      /a file receiver runs on a host: say which with "host"/,
    ],
    [
      'a receiver without a type',
      'notifications:\n  receivers: [{ name: f, path: x }]\n',
      /notifications.receivers\[0\]/,
    ],
    [
      'a URL that is not http',
      "notifications:\n  receivers: [{ name: h, type: webhook, url: 'ftp://x' }]\n",
      /is not an http\(s\) URL/,
    ],
    [
      'repeatInterval past its bound',
      'notifications:\n  receivers: [{ name: h, type: log }]\n  routes: [{ receiver: h, repeatInterval: 60d }]\n',
      /"60d": 60d is too long: the maximum is 30d/,
    ],
  ])('%s is refused with its position', (_what, tail, re) => {
    const m = messages(HEAD + tail);
    expect(m.filter((x) => re.test(x))).toEqual([expect.anything()]);
  });
});
