// No Docker engine here: check the production topology by reading the files. The files it
// mounts are the ones the cluster suite runs (npm run test:cluster).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { DEV_DYNAMIC_CONFIG } from '../../src/platform/temporal/dev-server';
import { WORKER_PROCESS_ENV } from '../../src/platform/worker-process-env';
import { ROOT } from '../setup/shared';
import { TEMPORAL_SERVER } from '../helpers/cluster';

type Service = {
  image?: string;
  entrypoint?: string[];
  networks?: unknown;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
};

const compose = load(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const s = compose.services;

describe('docker-compose.yml', () => {
  it('has PostgreSQL, the schema setup, two Temporal nodes, the load balancer, the namespace, the Web UI, the worker and apply', () => {
    expect(Object.keys(s).sort()).toEqual([
      'apply',
      'postgresql',
      'temporal-1',
      'temporal-2',
      'temporal-lb',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'worker',
    ]);
  });

  it('runs the server version and the files that the cluster suite runs', () => {
    const version = TEMPORAL_SERVER.version.replace(/^v/, '');
    for (const node of ['temporal-1', 'temporal-2']) {
      const n = s[node]!;
      expect(n.image).toBe(`temporalio/server:${version}`);
      expect(n.volumes).toContain('./deploy/temporal/config:/etc/temporal/ha:ro');
      expect(n.volumes).toContain('./deploy/temporal/dynamicconfig.yaml:/etc/temporal/dynamicconfig.yaml:ro');
      expect(n.entrypoint).toEqual([
        'temporal-server',
        '--root',
        '/',
        '--config',
        'etc/temporal/ha',
        '--allow-no-auth',
        'start',
      ]);
      expect(n.environment).toMatchObject({
        TEMPORAL_DB_HOST: 'postgresql',
        TEMPORAL_CLUSTER_ADDRESS: 'temporal-lb:7233',
        TEMPORAL_DYNAMIC_CONFIG: '/etc/temporal/dynamicconfig.yaml',
      });
      // Each node binds the address the other reaches it at.
      const ip = (n.networks as Record<string, { ipv4_address: string }>).temporal!.ipv4_address;
      expect(n.environment!.TEMPORAL_BIND_IP).toBe(ip);
    }
    expect(s['temporal-schema']!.image).toBe(`temporalio/admin-tools:${version}`);
    expect(s['temporal-schema']!.entrypoint).toEqual(['sh', '/deploy/temporal/setup-schema.sh']);
    expect(s['temporal-lb']!.volumes).toEqual([
      './deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    ]);
    expect(s['temporal-lb']!.ports).toEqual(['127.0.0.1:7233:7233']);
    for (const f of [
      'deploy/temporal/config/base.yaml',
      'deploy/temporal/setup-schema.sh',
      'deploy/haproxy/haproxy.cfg',
    ])
      expect(existsSync(path.join(ROOT, f))).toBe(true);
  });

  it('gives the server the dynamic config the dev server runs with', () => {
    const dc = load(
      readFileSync(path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'), 'utf8'),
    ) as Record<string, Array<{ value: unknown }>>;
    expect(dc['frontend.WorkerHeartbeatsEnabled']![0]!.value).toBe(true);
    expect(dc['frontend.ListWorkersEnabled']![0]!.value).toBe(true);
    for (const kv of DEV_DYNAMIC_CONFIG) {
      const [key, value] = kv.split('=') as [string, string];
      // One task queue partition is for the one-node dev server; the cluster keeps the default.
      if (key.startsWith('matching.numTaskqueue')) {
        expect(dc[key]).toBeUndefined();
        continue;
      }
      expect([key, String(dc[key]?.[0]?.value)]).toEqual([key, value]);
    }
  });

  it('points the Web UI, the worker and apply at the load balancer', () => {
    expect(s['temporal-ui']!.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(s['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe('temporal-lb:7233');
    expect(s['temporal-ui']!.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(s.worker!.build).toBe('.');
    expect(s.worker!.command).toEqual(['worker', '--host', '${HA_HOST:-docker-host}', '--workflows']);
    expect(s.worker!.environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal-lb:7233',
      TEMPORAL_NAMESPACE: 'default',
    });
    expect(s.worker!.depends_on).toMatchObject({
      'temporal-namespace': { condition: 'service_completed_successfully' },
    });
    expect(s.apply!.command).toEqual(['apply', '/app/config/high_availability.yml']);
    expect(s.apply!.environment!.TEMPORAL_ADDRESS).toBe('temporal-lb:7233');
  });

  it('has a Dockerfile whose entry point is hactl', () => {
    const df = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(df).toMatch(/^FROM node:20/m);
    expect(df).toMatch(/ENTRYPOINT \[.*"node", "\/app\/bin\/hactl.js"\]/);
    expect(df).toMatch(/^CMD \["worker"\]/m);
    // The worker's process environment, as hactl dev and the fleet bench start it.
    for (const [k, v] of Object.entries(WORKER_PROCESS_ENV))
      expect(df).toMatch(new RegExp(`^ENV ${k}=${v}$`, 'm'));
    // Everything the Dockerfile copies exists.
    for (const m of df.matchAll(/^COPY (?!--from)(\S+)/gm)) {
      for (const src of m[1]!.split(' ')) expect(existsSync(path.join(ROOT, src))).toBe(true);
    }
  });
});
