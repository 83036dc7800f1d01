// No Docker engine here: check the production topology by reading the files.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { DEV_DYNAMIC_CONFIG } from '../../src/platform/temporal/dev-server';
import { ROOT } from '../setup/shared';

type Service = {
  image?: string;
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
  it('has PostgreSQL, Temporal, the Web UI, the worker and the one-shot apply', () => {
    expect(Object.keys(s).sort()).toEqual(['apply', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
  });

  it('runs Temporal on PostgreSQL', () => {
    expect(s.postgresql!.image).toMatch(/^postgres:\d+/);
    expect(s.temporal!.image).toMatch(/^temporalio\/(auto-setup|server):\d+\.\d+\.\d+$/);
    expect(s.temporal!.environment).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgresql',
      DB_PORT: 5432,
    });
    expect(s.temporal!.depends_on).toMatchObject({ postgresql: { condition: 'service_healthy' } });
    expect(s.temporal!.ports).toEqual(['127.0.0.1:7233:7233']);
  });

  it('enables worker heartbeats in the server’s dynamic config (for hactl hosts)', () => {
    const mount = s.temporal!.volumes!.find((v) => v.includes('dynamicconfig'))!;
    const file = path.join(ROOT, mount.split(':')[0]!);
    expect(existsSync(file)).toBe(true);
    const dc = load(readFileSync(file, 'utf8')) as Record<string, Array<{ value: unknown }>>;
    expect(dc['frontend.WorkerHeartbeatsEnabled']![0]!.value).toBe(true);
    expect(dc['frontend.ListWorkersEnabled']![0]!.value).toBe(true);
    // What the dev server runs with, production runs with too.
    for (const kv of DEV_DYNAMIC_CONFIG) {
      const [key, value] = kv.split('=') as [string, string];
      expect([key, String(dc[key]?.[0]?.value)]).toEqual([key, value]);
    }
    expect(mount.split(':')[1]).toContain(
      s.temporal!.environment!.DYNAMIC_CONFIG_FILE_PATH!.replace(/^config\//, ''),
    );
  });

  it('points the Web UI at the server', () => {
    expect(s['temporal-ui']!.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(s['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(s['temporal-ui']!.ports).toEqual(['127.0.0.1:8080:8080']);
  });

  it('builds the worker from this repo and wires TEMPORAL_ADDRESS', () => {
    expect(s.worker!.build).toBe('.');
    expect(s.worker!.command![0]).toBe('worker');
    expect(s.worker!.environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'default',
    });
    expect(s.worker!.depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
    expect(s.apply!.command).toEqual(['apply', '/app/config/high_availability.yml']);
    expect(s.apply!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('has a Dockerfile whose entry point is hactl', () => {
    const df = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(df).toMatch(/^FROM node:20/m);
    expect(df).toMatch(/ENTRYPOINT \[.*"node", "\/app\/bin\/hactl.js"\]/);
    expect(df).toMatch(/^CMD \["worker"\]/m);
    // Everything the Dockerfile copies exists.
    for (const m of df.matchAll(/^COPY (?!--from)(\S+)/gm)) {
      for (const src of m[1]!.split(' ')) expect(existsSync(path.join(ROOT, src))).toBe(true);
    }
  });
});
