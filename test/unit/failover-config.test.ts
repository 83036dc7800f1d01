// The failover section: what a group normalises to, and every mistake located.
import { ConfigError } from '../../src/platform/config/issues';
import { parseConfig } from '../../src/platform/registry-api';

const HEAD = 'version: 1\nhosts:\n  - { name: alpha }\n  - { name: beta }\n  - { name: gamma }\n';

function messages(yaml: string): string[] {
  try {
    parseConfig(yaml, 'ha.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
    throw err;
  }
  return [];
}

describe('failover config', () => {
  it('normalises a PostgreSQL pair: observers default to the nodes’ hosts, actions and limits', () => {
    const cfg = parseConfig(
      `${HEAD}failover:
  - name: db
    nodes:
      - { name: pg1, host: alpha, priority: 100, env: { PGPORT: '5433' } }
      - { name: pg2, host: beta }
    primary: pg1
    health: [{ type: tcp, address: '127.0.0.1:\${PGPORT}', interval: 500ms, timeout: 400ms }]
    role: { type: command, argv: [psql, -tAc, 'SELECT pg_is_in_recovery()'], interval: 500ms, timeout: 400ms }
    actions:
      fence: [{ argv: [pg_ctl, stop, -m, immediate] }, { host: gamma, argv: [/usr/local/bin/pdu-off, '\${HA_FENCE_NODE}'] }]
      promote: { argv: [pg_ctl, promote] }
      repoint: [{ http: { url: 'http://dns.example/api/db?to=\${HA_PRIMARY_HOST}', method: PUT } }]
    cooldown: 10m
    maxFailovers: { count: 2, window: 1d }
    failback: automatic-after 30m
`,
      'ha.yml',
    );
    const g = cfg.failover[0]!;
    expect(g).toMatchObject({
      name: 'db',
      initialPrimary: 'pg1',
      observers: ['alpha', 'beta'],
      mode: 'automatic',
      select: 'priority',
      cooldownMs: 600_000,
      maxFailovers: { count: 2, windowMs: 86_400_000 },
      failbackAfterMs: 1_800_000,
      allowUnfencedPromotion: false,
      verifyTimeoutMs: 10_000,
    });
    expect(g.nodes).toEqual([
      { name: 'pg1', host: 'alpha', priority: 100, nofailover: false, env: { PGPORT: '5433' } },
      { name: 'pg2', host: 'beta', priority: 100, nofailover: false, env: {} },
    ]);
    expect(g.actions.fence.map((a) => [a.host, a.command?.argv[0]])).toEqual([
      [null, 'pg_ctl'],
      ['gamma', '/usr/local/bin/pdu-off'],
    ]);
    expect(g.actions.repoint).toEqual([
      {
        host: null,
        http: {
          url: 'http://dns.example/api/db?to=${HA_PRIMARY_HOST}',
          method: 'PUT',
          timeoutMs: 10_000,
          expectStatus: [],
          body: null,
        },
      },
    ]);
    expect(g.role).toMatchObject({ type: 'command', intervalMs: 500, timeoutMs: 400 });
  });

  it('locates every mistake', () => {
    expect(
      messages(`${HEAD}failover:
  - name: db
    nodes:
      - { name: pg1, host: alpha }
      - { name: pg1, host: delta }
    primary: pg9
    observers: [alpha, gama]
    health: []
    role: { type: tcp, address: 'x:1' }
    maximumLag: 10
    failback: sometimes
    mode: auto
`),
    ).toEqual([
      '10:17 failover[0].nodes[1].name duplicate node name "pg1"',
      '10:28 failover[0].nodes[1].host unknown host "delta"; did you mean "beta"?',
      '11:14 failover[0].primary no node "pg9" in this group (nodes: pg1)',
      '12:24 failover[0].observers[1] unknown host "gama"; did you mean "gamma"?',
      '13:13 failover[0].health at least one health probe',
      '15:17 failover[0].maximumLag maximumLag needs a lag probe (lag: { argv: [...] })',
      '16:15 failover[0].failback failback is "manual" or "automatic-after <duration>"',
      '17:11 failover[0].mode expected one of "automatic", "manual", got the string "auto"',
    ]);
  });
});
