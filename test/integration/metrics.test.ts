// Metrics on the real path: a worker with the SDK's Prometheus exporter, `hactl metrics-server`
// against the suite's server after a real backup, DR run, switchover, service and alert, and
// promtool (built from the Prometheus module) checking the text, the alert rules and their tests.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../../src/backup/model/types';
import { ensureGoTool, PROMTOOL } from '../helpers/go-tools';
import { HACTL, hactl, ROOT, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { freePorts, processesOf, serviceCommands } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('metrics');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
let promtool: string;
let worker: WorkerProcess;
let ports: { sdk: number; state: number; svc: number; busy: number };
let server: { child: ChildProcess; out: () => string } | undefined;

const sdkUrl = (): string => `http://127.0.0.1:${ports.sdk}/metrics`;
const stateUrl = (): string => `http://127.0.0.1:${ports.state}/metrics`;
const cli = (args: string[]) => hactl(args, { env: env.env, timeoutMs: 120_000 });

function config(): string {
  const svc = serviceCommands({ dir: W('svc'), port: '${SVC_PORT}' });
  const sh = (script: string): string => JSON.stringify(['sh', '-c', script, 'action', '${DIR}']);
  return `version: 1
hosts:
  - name: alpha
health: { interval: 1s, timeout: 800ms }
backups:
  - name: docs
    host: alpha
    paths: [src]
    destination: dest/docs
failover:
  - name: db
    nodes:
      - { name: n1, host: alpha, priority: 100, env: { DIR: ${JSON.stringify(W('n1'))} } }
      - { name: n2, host: alpha, priority: 90, env: { DIR: ${JSON.stringify(W('n2'))} } }
    primary: n1
    observers: [alpha]
    health: [{ type: command, argv: ['true'], interval: 500ms, timeout: 400ms }]
    role: { type: command, argv: ['cat', '\${DIR}/role'], interval: 500ms, timeout: 400ms }
    actions:
      fence: [{ argv: ${sh('echo standby > "$1/role"')} }]
      promote: { argv: ${sh('echo primary > "$1/role"')} }
      demote: { argv: ${sh('echo standby > "$1/role"')} }
    cooldown: 0s
services:
  - name: web
    minInstances: 1
    start: ${JSON.stringify(svc.start)}
    stop: ${JSON.stringify(svc.stop)}
    status: ${JSON.stringify(svc.status)}
    probes:
      - { type: http, url: 'http://127.0.0.1:\${SVC_PORT}/health', interval: 500ms, timeout: 400ms, failureThreshold: 3 }
alerts:
  rules:
    - { name: AlphaIsUp, metric: host.up, op: '>=', threshold: 1, severity: warning, hosts: [alpha] }
drPlans:
  - name: quick
    rto: 10m
    groups:
      - name: one
        steps:
          - { name: hello, command: { host: alpha, argv: ['true'] } }
`;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the one sample `name{labels}` (labels as rendered, in order), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function promtoolRun(args: string[], input?: string): { code: number | null; output: string } {
  const r = spawnSync(path.join(promtool, 'promtool'), args, { input, encoding: 'utf8', cwd: ROOT });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

function startMetricsServer(args: string[]): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [HACTL, 'metrics-server', ...args], {
    cwd: ROOT,
    env: env.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return waitFor(() => out.includes('state metrics on') && { child, out: () => out }, {
    timeoutMs: 30_000,
    message: () => `metrics-server did not start:\n${out}`,
    failIf: () => (child.exitCode !== null ? `metrics-server exited:\n${out}` : undefined),
  });
}

beforeAll(async () => {
  promtool = await ensureGoTool(PROMTOOL, (l) => console.error(l));
  const p = await freePorts(4);
  ports = { sdk: p[0]!, state: p[1]!, svc: p[2]!, busy: p[3]! };
  for (const d of ['src', 'svc', 'n1', 'n2']) mkdirSync(W(d), { recursive: true });
  writeFileSync(W('src', 'a.txt'), 'hello metrics\n');
  writeFileSync(W('src', 'b.bin'), Buffer.alloc(64 * 1024, 7));
  writeFileSync(W('n1', 'role'), 'primary\n');
  writeFileSync(W('n2', 'role'), 'standby\n');
  worker = await startWorker(env, 'alpha', ['--metrics-address', `127.0.0.1:${ports.sdk}`], {
    SVC_PORT: String(ports.svc),
  });
  writeConfig(tmp.dir, 'ha.yml', config());
  const applied = await cli(['apply', W('ha.yml')]);
  if (applied.code !== 0) throw new Error(applied.stderr + applied.stdout);
}, 900_000);

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await worker?.stop();
  for (const pid of processesOf(`${W('svc')}/`))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  tmp.cleanup();
});

describe('worker metrics (the SDK exporter)', () => {
  it('serves the runtime metrics of both workers, named by Prometheus conventions, and promtool accepts them', async () => {
    expect(worker.output()).toContain(`metrics=http://127.0.0.1:${ports.sdk}/metrics`);
    const text = await waitFor(async () => {
      const t = await scrape(sdkUrl());
      return (
        t.includes('temporal_worker_task_slots_available{') && t.includes('temporal_request_total{') && t
      );
    });
    for (const queue of ['ha-host-alpha', 'ha-orchestrator'])
      expect(text).toMatch(new RegExp(`temporal_worker_task_slots_available\\{[^}]*task_queue="${queue}"`));
    expect(text).toMatch(/^temporal_request_latency_seconds_bucket\{/m);
    const check = promtoolRun(['check', 'metrics'], text);
    expect(check).toEqual({ code: 0, output: '' });
  });

  it.each([
    [
      ['--metrics-address', 'localhost:9464'],
      2,
      'give an IP address (127.0.0.1, 0.0.0.0, [::1]), not a name',
    ],
    [['--metrics-address', '9464'], 2, '--metrics-address 9464: expected HOST:PORT'],
    [['--metrics-address', '127.0.0.1:0'], 2, 'give a port (1-65535)'],
  ])('refuses %j (exit %d)', async (args, code, message) => {
    const r = await cli(['worker', '--host', 'beta', ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
  });

  it('says so when the metrics port is taken (exit 1)', async () => {
    const r = await cli(['worker', '--host', 'beta', '--metrics-address', `127.0.0.1:${ports.sdk}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot serve the worker metrics on 127.0.0.1:${ports.sdk}`);
    expect(r.stderr).toContain('Address already in use');
  });

  it('HA_METRICS_ADDRESS is the default of --metrics-address, checked the same way', async () => {
    const r = await hactl(['worker', '--host', 'beta'], { env: { ...env.env, HA_METRICS_ADDRESS: 'nope' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--metrics-address nope: expected HOST:PORT');
  });
});

describe('state metrics (hactl metrics-server)', () => {
  let manifest: Manifest;

  beforeAll(async () => {
    const b = await cli(['backup', 'run', 'docs', '--wait', '--json', '--config', W('ha.yml')]);
    if (b.code !== 0) throw new Error(b.stderr + b.stdout);
    const { id } = JSON.parse(b.stdout) as { id: string };
    const file = readdirSync(W('dest', 'docs')).find((f) => f === `${id}.manifest.json`)!;
    manifest = JSON.parse(readFileSync(W('dest', 'docs', file), 'utf8')) as Manifest;
    const d = await cli(['dr', 'run', 'quick', '--wait', '--as', 'tester', '--config', W('ha.yml')]);
    if (d.code !== 0) throw new Error(d.stderr + d.stdout);
    const s = await cli(['failover', 'switchover', 'db', '--to', 'n2', '--by', 'tester']);
    if (s.code !== 0) throw new Error(s.stderr + s.stdout);
    server = await startMetricsServer([
      '--listen',
      `127.0.0.1:${ports.state}`,
      '--config',
      W('ha.yml'),
      '--cache',
      '1s',
    ]);
  }, 300_000);

  it('shows what runs: backups, failover, services, alerts, DR; and promtool accepts it', async () => {
    let text = '';
    await waitFor(
      async () => {
        text = await scrape(stateUrl());
        return (
          sample(text, 'ha_failover_primary{group="db",node="n2"}') === 1 &&
          sample(text, 'ha_service_healthy_instances{service="web"}') === 1 &&
          sample(text, 'ha_alerts_firing{severity="warning"}') === 1
        );
      },
      { timeoutMs: 60_000, message: () => `the state did not settle:\n${text}` },
    );
    const set = '{set="docs",host="alpha"}';
    expect(sample(text, 'ha_state_up')).toBe(1);
    expect(sample(text, `ha_backup_newest_timestamp_seconds${set}`)).toBe(
      Date.parse(manifest.createdAt) / 1000,
    );
    expect(sample(text, `ha_backup_archive_bytes${set}`)).toBe(manifest.archiveBytes);
    expect(sample(text, `ha_backup_files${set}`)).toBe(manifest.files);
    expect(sample(text, `ha_backup_last_run_success${set}`)).toBe(1);
    expect(sample(text, `ha_backup_last_run_duration_seconds${set}`)).toBeGreaterThan(0);
    const age = sample(text, `ha_backup_recovery_point_age_seconds${set}`)!;
    expect(Math.abs(age - (Date.now() - Date.parse(manifest.createdAt)) / 1000)).toBeLessThan(10);
    expect(sample(text, 'ha_failover_primary{group="db",node="n1"}')).toBe(0);
    expect(sample(text, 'ha_failover_failovers_total{group="db",kind="switchover"}')).toBe(1);
    expect(sample(text, 'ha_failover_failovers_total{group="db",kind="failover"}')).toBe(0);
    expect(sample(text, 'ha_failover_last_failover_duration_seconds{group="db"}')).toBeGreaterThan(0);
    expect(sample(text, 'ha_failover_group_state{group="db",state="healthy"}')).toBe(1);
    expect(sample(text, 'ha_service_desired_instances{service="web"}')).toBe(1);
    expect(sample(text, 'ha_alerts_firing{severity="critical"}')).toBe(0);
    expect(sample(text, 'ha_host_up{host="alpha"}')).toBe(1);
    expect(sample(text, 'ha_dr_runs{plan="quick",outcome="completed"}')).toBe(1);
    expect(sample(text, 'ha_dr_last_rto_seconds{plan="quick"}')).toBeGreaterThan(0);
    expect(sample(text, 'ha_dr_rto_target_seconds{plan="quick"}')).toBe(600);
    expect(promtoolRun(['check', 'metrics'], text)).toEqual({ code: 0, output: '' });
  });

  it('a failed backup run shows as success 0, and the newest verified backup stays', async () => {
    const b = await cli(['backup', 'run', 'docs', '--wait', '--json', '--config', W('ha.yml')]);
    expect(b.code).toBe(0);
    // The source goes away: the next run fails.
    renameSync(W('src'), W('src.away'));
    try {
      const f = await cli(['backup', 'run', 'docs', '--wait', '--config', W('ha.yml')]);
      expect(f.code).not.toBe(0);
    } finally {
      renameSync(W('src.away'), W('src'));
    }
    const set = '{set="docs",host="alpha"}';
    const text = await waitFor(async () => {
      const t = await scrape(stateUrl());
      return sample(t, `ha_backup_last_run_success${set}`) === 0 && t;
    });
    expect(sample(text, `ha_backup_newest_timestamp_seconds${set}`)).toBeGreaterThan(
      Date.parse(manifest.createdAt) / 1000,
    );
  });

  it('serves /metrics only', async () => {
    expect((await fetch(`http://127.0.0.1:${ports.state}/other`)).status).toBe(404);
    expect((await fetch(stateUrl(), { method: 'POST' })).status).toBe(405);
    expect(await (await fetch(`http://127.0.0.1:${ports.state}/`)).text()).toContain('/metrics');
  });

  it.each([
    [['--listen', 'nowhere'], '--listen nowhere: expected HOST:PORT'],
    [['--cache', '0s'], '--cache 0s: give between 1s and 10m'],
    [['--cache', 'soon'], '--cache soon: "soon" is not a duration'],
  ])('refuses %j (exit 2)', async (args, message) => {
    const r = await cli(['metrics-server', '--config', W('ha.yml'), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('a port in use: exit 1, saying so', async () => {
    const r = await cli(['metrics-server', '--config', W('ha.yml'), '--listen', `127.0.0.1:${ports.state}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${ports.state}: the port is in use`);
  });
});

describe('deploy/prometheus', () => {
  it('the alert rules pass promtool check rules', () => {
    const r = promtoolRun(['check', 'rules', 'deploy/prometheus/ha-orchestrator.rules.yml']);
    expect(r.code).toBe(0);
    expect(r.output).toContain('SUCCESS: 10 rules found');
  });

  it('the rules unit tests pass (recovery point, failed backup, failover, RTO)', () => {
    const r = promtoolRun(['test', 'rules', 'deploy/prometheus/ha-orchestrator.rules.test.yml']);
    expect(r).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });
});
