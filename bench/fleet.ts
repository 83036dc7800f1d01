// A fleet on one machine: 50 host workers (host queue only) and two workflow workers, against the
// dev server and then against the two-node cluster on PostgreSQL; a config with 50 hosts, 1,000
// backup schedules, 20 failover groups (real node programs, three observers each) and 50
// services (real programs, probed). Measured: apply and the no-op re-apply; the health fan-out
// from the schedule firing to the last monitor updated (goal <= 2 s); each worker's start time
// and idle RSS (goal <= 120 MB for host workers); the server-side history growth per hour while
// nothing changes; and `hactl status` for the whole fleet (goal <= 1 s).
// Over 400 lines on purpose: one fleet serves every measure, on each server in turn.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { HEALTH_IDS } from '../src/health/model/ids';
import { ensureTemporalCli } from '../src/platform/temporal/cli-binary';
import { freePort, startDevServer } from '../src/platform/temporal/dev-server';
import { ensureWorkflowBundle } from '../src/platform/worker/bundle';
import { workerProcessEnv } from '../src/platform/worker-process-env';
import { startCluster } from '../test/helpers/cluster';
import { freePorts } from '../test/helpers/service';
import { fmt, median } from './util';

const ROOT = path.resolve(__dirname, '..', '..');
const HACTL = path.join(ROOT, 'bin', 'hactl.js');
const NODE = path.join(ROOT, 'test', 'fixtures', 'failover', 'node.js');
const SVC = path.join(ROOT, 'test', 'fixtures', 'service', 'svc.js');
const EventType = temporal.api.enums.v1.EventType;

// A smaller fleet (HA_BENCH_FLEET_HOSTS) is for trying the bench itself out.
const HOSTS = Number(process.env.HA_BENCH_FLEET_HOSTS ?? 50);
const SETS_PER_HOST = 20;
const GROUPS = Math.min(20, Math.floor(HOSTS / 2));
const SERVICES = HOSTS;
const WORKFLOW_WORKERS = 2;
// The memory goal is 120 MB (10^6 bytes): every host worker's RSS, the largest included.
const GOALS = { fanOutMs: 2000, hostRssMB: 120, statusMs: 1000 };

export interface FleetRun {
  server: string;
  workers: { host: number; workflow: number };
  startMs: { host: number; workflow: number };
  rssMiB: { hostMedian: number; hostMax: number; workflowMax: number; hostPssMedian: number };
  applyMs: number;
  reapplyMs: number;
  reapplyOutput: string;
  objects: number;
  /** Every set backed up once before status is timed: status then has a newest backup to show. */
  backups: { ran: number; of: number; ms: number };
  /** On the settled fleet (the goal), and right after every set was backed up at once. */
  fanOutMs: { trials: number[]; p50: number; max: number };
  /** `failed`: trials whose reads the server refused or timed out (a fleet still busy backing up). */
  fanOutAfterBackupsMs: { trials: number[]; p50: number; max: number; failed: string[] };
  history: { windowS: number; events: number; perHour: number; byKind: Record<string, number> };
  /** `coldMs`: the first run with neither the compiled-code nor the config cache. */
  statusMs: { runs: number[]; median: number; bytes: number; coldMs: number };
  pass: { fanOut: boolean; rss: boolean; status: boolean };
}

export interface FleetBenchResult {
  dev: FleetRun | { error: string };
  cluster: FleetRun | { error: string };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const host = (i: number): string => `host-${String(i + 1).padStart(2, '0')}`;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Proportional set size: shared pages (Node, the SDK's native library) split among sharers. */
function pssMiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const MB_PER_MIB = 1.048576;

/** A daily cron twelve hours away, so that no backup fires during the run. */
function quietCron(): string {
  const h = (new Date().getUTCHours() + 12) % 24;
  return `0 ${h} * * *`;
}

function fleetConfig(dir: string, ports: { nodes: number[]; services: number[] }): string {
  const lines = ['version: 1', 'hosts:'];
  for (let i = 0; i < HOSTS; i++) lines.push(`  - { name: ${host(i)} }`);
  lines.push('health: { interval: 30s, timeout: 10s }');
  lines.push('backups:');
  const cron = quietCron();
  for (let i = 0; i < HOSTS; i++)
    for (let j = 0; j < SETS_PER_HOST; j++) {
      const set = `b-${String(i + 1).padStart(2, '0')}-${String(j + 1).padStart(2, '0')}`;
      lines.push(
        `  - { name: ${set}, host: ${host(i)}, paths: [${JSON.stringify(path.join(dir, 'data'))}], destination: ${JSON.stringify(path.join(dir, 'dest', set))}, schedule: { cron: '${cron}' } }`,
      );
    }
  const node = (args: string[]) => JSON.stringify([process.execPath, NODE, ...args]);
  lines.push('failover:');
  for (let g = 0; g < GROUPS; g++) {
    const [a, b, c] = [host(2 * g), host(2 * g + 1), host((2 * g + 2) % HOSTS)];
    const env = (k: number) =>
      `{ PORT: '${ports.nodes[2 * g + k]}', DIR: ${JSON.stringify(path.join(dir, 'nodes', `g${g}-n${k}`))} }`;
    lines.push(`  - name: g-${String(g + 1).padStart(2, '0')}
    nodes:
      - { name: n1, host: ${a}, priority: 100, env: ${env(0)} }
      - { name: n2, host: ${b}, priority: 90, env: ${env(1)} }
    primary: n1
    observers: [${a}, ${b}, ${c}]
    health: [{ type: http, url: 'http://127.0.0.1:\${PORT}/health', interval: 5s, timeout: 1s, failureThreshold: 3 }]
    role: { type: http, url: 'http://127.0.0.1:\${PORT}/role', interval: 5s, timeout: 1s }
    actions:
      fence: [{ argv: ${node(['fence', '--dir', '${DIR}'])} }]
      promote: { argv: ${node(['promote', '--dir', '${DIR}'])} }`);
  }
  lines.push('services:');
  for (let s = 0; s < SERVICES; s++) {
    const pid = path.join(dir, 'services', `s${s}.pid`);
    const svc = (args: string[]) => JSON.stringify([process.execPath, SVC, ...args]);
    lines.push(`  - name: s-${String(s + 1).padStart(2, '0')}
    hosts: [${host(s)}]
    start: { argv: ${svc(['start', '--port', String(ports.services[s]), '--pidfile', pid])} }
    stop: { argv: ${svc(['stop', '--pidfile', pid])} }
    probes: [{ type: http, url: 'http://127.0.0.1:${ports.services[s]}/health', interval: 10s, timeout: 2s }]`);
  }
  return `${lines.join('\n')}\n`;
}

interface Worker {
  host: string;
  child: ChildProcess;
  startMs: number;
}

function startWorker(env: NodeJS.ProcessEnv, name: string, workflows: boolean): Promise<Worker> {
  const t0 = performance.now();
  const args = [HACTL, 'worker', '--host', name, ...(workflows ? ['--workflows'] : [])];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} not ready:\n${out}`)), 180_000);
    const on = (b: Buffer): void => {
      out += b.toString();
      if (out.includes('worker ready')) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        child.stderr.resume();
        resolve({ host: name, child, startMs: performance.now() - t0 });
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}):\n${out}`)));
  });
}

function hactl(env: NodeJS.ProcessEnv, args: string[]): { ms: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [HACTL, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`hactl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms: performance.now() - t0, out: r.stdout };
}

async function until(
  pred: () => Promise<boolean>,
  what: string | (() => string),
  ms = 300_000,
): Promise<void> {
  let last: unknown;
  for (const end = Date.now() + ms; ; await wait(1000)) {
    if (await pred().catch((err: unknown) => ((last = err), false))) return;
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${typeof what === 'string' ? what : what()}${last ? ` (${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
      );
  }
}

const time = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

/** From the health schedule firing to the last monitor that took the report. */
async function fanOut(client: Client): Promise<number> {
  const schedule = client.schedule.getHandle(HEALTH_IDS.healthSchedule());
  const before = (await schedule.describe()).info.recentActions.length;
  const actionsBefore = (await schedule.describe()).info.numActionsTaken;
  await schedule.trigger();
  let runId = '';
  let workflowId = '';
  await until(async () => {
    const d = await schedule.describe();
    const a = d.info.recentActions.at(-1);
    if (d.info.numActionsTaken <= actionsBefore || !a) return false;
    workflowId = a.action.workflow.workflowId;
    runId = a.action.workflow.firstExecutionRunId;
    return true;
  }, 'the triggered snapshot');
  void before;
  const h = client.workflow.getHandle(workflowId, runId);
  await h.result();
  const fired = time((await h.fetchHistory()).events![0]!.eventTime);
  let last = 0;
  await Promise.all(
    Array.from({ length: HOSTS }, async (_, i) => {
      const events = (await client.workflow.getHandle(HEALTH_IDS.monitor(host(i))).fetchHistory()).events!;
      // The report lands as a signal; the monitor has it once the task after it completes.
      let sig = -1;
      for (let k = events.length - 1; k >= 0 && sig < 0; k--) {
        const e = events[k]!;
        if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && time(e.eventTime) >= fired)
          sig = k;
      }
      if (sig < 0) throw new Error(`monitor of ${host(i)} got no report`);
      const done = events
        .slice(sig)
        .find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      last = Math.max(last, time((done ?? events[sig]!).eventTime));
    }),
  );
  return last - fired;
}

/** Events written by every run in the namespace, open ones read exactly (visibility lags). */
async function historyTotals(
  client: Client,
  since: Date,
): Promise<{ open: Map<string, number>; closed: Map<string, number>; kinds: Map<string, string> }> {
  const open = new Map<string, number>();
  const closed = new Map<string, number>();
  const kinds = new Map<string, string>();
  const opens: Array<{ id: string; run: string }> = [];
  for await (const w of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
    opens.push({ id: w.workflowId, run: w.runId });
  for (let i = 0; i < opens.length; i += 32)
    await Promise.all(
      opens.slice(i, i + 32).map(async ({ id, run }) => {
        const d = await client.workflow.getHandle(id, run).describe();
        open.set(`${id}/${run}`, d.historyLength);
        kinds.set(`${id}/${run}`, String(d.searchAttributes.HaKind?.[0] ?? d.type));
      }),
    );
  // Closed runs too are described: the list's history length is not filled in by every store.
  const closes: Array<{ id: string; run: string }> = [];
  for await (const w of client.workflow.list({ query: `CloseTime >= "${since.toISOString()}"` }))
    closes.push({ id: w.workflowId, run: w.runId });
  for (let i = 0; i < closes.length; i += 32)
    await Promise.all(
      closes.slice(i, i + 32).map(async ({ id, run }) => {
        const d = await client.workflow.getHandle(id, run).describe();
        closed.set(`${id}/${run}`, d.historyLength);
        kinds.set(`${id}/${run}`, String(d.searchAttributes.HaKind?.[0] ?? d.type));
      }),
    );
  return { open, closed, kinds };
}

async function historyGrowth(client: Client, windowS: number): Promise<FleetRun['history']> {
  const t1 = new Date();
  const a = await historyTotals(client, t1);
  await wait(windowS * 1000);
  const b = await historyTotals(client, t1);
  const byKind: Record<string, number> = {};
  let events = 0;
  const add = (key: string, n: number): void => {
    const k = b.kinds.get(key) ?? a.kinds.get(key) ?? '?';
    byKind[k] = (byKind[k] ?? 0) + n;
    events += n;
  };
  for (const [k, n] of b.open) add(k, n - (a.open.get(k) ?? 0));
  for (const [k, n] of b.closed) add(k, n - (a.open.get(k) ?? 0));
  const perHour = (n: number): number => Math.round((n * 3600) / windowS);
  return {
    windowS,
    events,
    perHour: perHour(events),
    byKind: Object.fromEntries(Object.entries(byKind).map(([k, n]) => [k, perHour(n)])),
  };
}

/** Each set's schedule triggered once; until every run has completed (or fifteen minutes). */
async function backUpEverySet(client: Client): Promise<FleetRun['backups']> {
  const t0 = performance.now();
  const sets = Array.from({ length: HOSTS * SETS_PER_HOST }, (_, k) => {
    const [i, j] = [Math.floor(k / SETS_PER_HOST), k % SETS_PER_HOST];
    return `b-${String(i + 1).padStart(2, '0')}-${String(j + 1).padStart(2, '0')}`;
  });
  for (let k = 0; k < sets.length; k += 20)
    await Promise.all(sets.slice(k, k + 20).map((s) => client.schedule.getHandle(`backup:${s}`).trigger()));
  const done = async (): Promise<number> =>
    (await client.workflow.count(`WorkflowType = 'backupWorkflow' AND ExecutionStatus = 'Completed'`)).count;
  let ran = 0;
  await until(async () => (ran = await done()) >= sets.length, 'every set backed up', 900_000).catch(
    (err: Error) => console.error(`backups: ${ran} of ${sets.length} done: ${err.message}`),
  );
  return { ran, of: sets.length, ms: performance.now() - t0 };
}

async function runFleet(server: string, address: string, dir: string): Promise<FleetRun> {
  // As deployed (Dockerfile, README): the worker's process environment.
  const env = workerProcessEnv({
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    HA_STATE_DIR: path.join(dir, 'state'),
    HA_WORKFLOW_BUNDLE: await ensureWorkflowBundle(),
  });
  const workers: Worker[] = [];
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const [nodePorts, servicePorts] = [await freePorts(2 * GROUPS), await freePorts(SERVICES)];
  try {
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    writeFileSync(path.join(dir, 'data', 'file.txt'), 'fleet\n');
    mkdirSync(path.join(dir, 'services'), { recursive: true });
    for (let g = 0; g < GROUPS; g++)
      for (let k = 0; k < 2; k++) {
        const d = path.join(dir, 'nodes', `g${g}-n${k}`);
        const port = String(nodePorts[2 * g + k]);
        const r = spawnSync(process.execPath, [
          NODE,
          'start',
          '--port',
          port,
          '--dir',
          d,
          '--role',
          k ? 'standby' : 'primary',
        ]);
        if (r.status !== 0) throw new Error(`node program g${g}-n${k} did not start`);
      }
    const file = path.join(dir, 'fleet.yml');
    writeFileSync(file, fleetConfig(dir, { nodes: nodePorts, services: servicePorts }));

    // Start times on a quiet machine (one at a time), then the rest of the fleet.
    for (let i = 0; i < WORKFLOW_WORKERS; i++) workers.push(await startWorker(env, `central-${i + 1}`, true));
    for (let i = 0; i < 3; i++) workers.push(await startWorker(env, host(i), false));
    for (let i = 3; i < HOSTS; i += 8)
      workers.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(8, HOSTS - i) }, (_, k) => startWorker(env, host(i + k), false)),
        )),
      );
    const hostWorkers = workers.filter((w) => !w.host.startsWith('central'));
    const wfWorkers = workers.filter((w) => w.host.startsWith('central'));

    const applied = hactl(env, ['apply', file, '--json']);
    const plan = JSON.parse(applied.out) as { created: string[] };

    // Steady: every service healthy, every group with its primary, every monitor reporting.
    let services: Array<{ service: string; health: string; instances: Array<{ lastReason: string }> }> = [];
    await until(
      async () => {
        services = JSON.parse(hactl(env, ['services', '--json']).out) as typeof services;
        return services.length === SERVICES && services.every((s) => s.health === 'healthy');
      },
      () =>
        `services healthy: ${services
          .filter((s) => s.health !== 'healthy')
          .slice(0, 3)
          .map((s) => `${s.service} ${s.health}: ${s.instances.map((i) => i.lastReason).join('; ')}`)
          .join(' | ')}`,
    );
    await until(async () => {
      const r = JSON.parse(hactl(env, ['failover', 'status', '--json']).out) as Array<{ state: string }>;
      return r.length === GROUPS && r.every((g) => g.state === 'healthy');
    }, 'failover groups healthy');

    if (process.env.HA_BENCH_FLEET_KEEP) {
      // For looking at a live fleet (top, pidstat): until the file named there is removed.
      writeFileSync(process.env.HA_BENCH_FLEET_KEEP, `${address}\n`);
      console.error(`fleet up at ${address}; remove ${process.env.HA_BENCH_FLEET_KEEP} to go on`);
      await until(
        async () => !existsSync(process.env.HA_BENCH_FLEET_KEEP!),
        'the keep file to go',
        24 * 3_600_000,
      );
    }
    // Re-applied once the fleet has settled (right after the first apply, the server is still
    // starting a thousand schedules' own workflows, and every read of one waits for that).
    const reapplied = hactl(env, ['apply', file]);
    const failed: string[] = [];
    const fanOuts = async (n: number, tolerate = false): Promise<number[]> => {
      const out: number[] = [];
      for (let t = 0; t < n; t++) {
        try {
          out.push(await fanOut(client));
        } catch (err) {
          // Under the tail of the backups a read may time out: said, not fatal to the run.
          if (!tolerate) throw err;
          failed.push((err as Error).message);
        }
        await wait(2000);
      }
      return out;
    };
    // The settled fleet: what a fan-out costs while the fleet does its periodic work.
    const trials = await fanOuts(5);
    // Then under the tail of a burst: every set backed up at once, the fan-outs right after.
    const backups = await backUpEverySet(client);
    const afterBackups = await fanOuts(3, true);
    await wait(20_000); // idle: nothing to do but the periodic work
    const hostRss = hostWorkers.map((w) => rssMiB(w.child.pid!));
    const hostPss = hostWorkers.map((w) => pssMiB(w.child.pid!));
    const wfRss = wfWorkers.map((w) => rssMiB(w.child.pid!));
    const history = await historyGrowth(client, Number(process.env.HA_BENCH_FLEET_WINDOW_S ?? 120));
    const statusRuns: number[] = [];
    // Once as after an upgrade or a config change (nothing cached), then as an operator runs it.
    const cold = hactl({ ...env, HA_COMPILE_CACHE: 'off', HA_CONFIG_CACHE: 'off' }, [
      'status',
      '--json',
      '--config',
      file,
    ]);
    hactl(env, ['status', '--json', '--config', file]); // fills the caches
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const s = hactl(env, ['status', '--json', '--config', file]);
      statusRuns.push(s.ms);
      bytes = s.out.length;
    }
    const run: FleetRun = {
      server,
      workers: { host: hostWorkers.length, workflow: wfWorkers.length },
      startMs: {
        host: median(hostWorkers.slice(0, 3).map((w) => w.startMs)),
        workflow: median(wfWorkers.map((w) => w.startMs)),
      },
      rssMiB: {
        hostMedian: median(hostRss),
        hostMax: Math.max(...hostRss),
        workflowMax: Math.max(...wfRss),
        hostPssMedian: median(hostPss),
      },
      applyMs: applied.ms,
      reapplyMs: reapplied.ms,
      reapplyOutput: reapplied.out.trim().split('\n').at(-1) ?? '',
      objects: plan.created.length,
      backups,
      fanOutMs: { trials, p50: median(trials), max: Math.max(...trials) },
      fanOutAfterBackupsMs: {
        trials: afterBackups,
        p50: afterBackups.length ? median(afterBackups) : NaN,
        max: afterBackups.length ? Math.max(...afterBackups) : NaN,
        failed,
      },
      history,
      statusMs: { runs: statusRuns, median: median(statusRuns), bytes, coldMs: cold.ms },
      pass: { fanOut: false, rss: false, status: false },
    };
    run.pass = {
      fanOut: run.fanOutMs.p50 <= GOALS.fanOutMs,
      rss: run.rssMiB.hostMax * MB_PER_MIB <= GOALS.hostRssMB,
      status: run.statusMs.median <= GOALS.statusMs,
    };
    return run;
  } finally {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null) return resolve();
            w.child.once('exit', () => resolve());
            w.child.kill('SIGTERM');
            setTimeout(() => w.child.kill('SIGKILL'), 30_000).unref();
          }),
      ),
    );
    for (let g = 0; g < GROUPS; g++)
      for (let k = 0; k < 2; k++)
        spawnSync(process.execPath, [NODE, 'stop', '--dir', path.join(dir, 'nodes', `g${g}-n${k}`)]);
    for (let s = 0; s < SERVICES; s++)
      spawnSync(process.execPath, [SVC, 'stop', '--pidfile', path.join(dir, 'services', `s${s}.pid`)]);
    await connection.close();
  }
}

export async function benchFleet(): Promise<FleetBenchResult> {
  const cli = await ensureTemporalCli(() => undefined);
  const base = mkdtempSync(path.join(os.tmpdir(), 'ha-bench-fleet-'));
  try {
    // The embedded default: the dev server with its SQLite file (HA_BENCH_FLEET_SERVERS=cluster
    // skips it; =dev skips the cluster).
    let devRun: FleetRun | { error: string } = { error: 'not asked for' };
    if (process.env.HA_BENCH_FLEET_SERVERS !== 'cluster') {
      const dev = await startDevServer({
        bin: cli.path,
        port: await freePort(),
        dbFile: path.join(base, 'dev', 'temporal.db'),
      });
      try {
        devRun = await runFleet('dev server (SQLite file)', dev.address, path.join(base, 'dev'));
      } finally {
        await dev.stop();
      }
    }
    let clusterRun: FleetRun | { error: string };
    if (process.env.HA_BENCH_FLEET_SERVERS === 'dev')
      return { dev: devRun, cluster: { error: 'not asked for' } };
    try {
      const cluster = await startCluster({
        dir: path.join(base, 'cluster-server'),
        temporalCli: cli.path,
        shards: 16,
        durable: true,
        log: (l) => console.error(l),
      });
      try {
        cluster.createNamespace('default');
        clusterRun = await runFleet(
          'two-node cluster on PostgreSQL (fsync on)',
          cluster.address,
          path.join(base, 'cluster'),
        );
      } finally {
        await cluster.stop();
      }
    } catch (err) {
      clusterRun = { error: (err as Error).message };
    }
    return { dev: devRun, cluster: clusterRun };
  } finally {
    rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

function printRun(r: FleetRun): void {
  const ok = (b: boolean): string => (b ? 'PASS' : 'FAIL');
  console.log(
    `  on the ${r.server}: ${r.workers.host} host workers + ${r.workers.workflow} workflow workers`,
  );
  console.log(
    `    apply of ${r.objects} schedules and controllers: ${fmt(r.applyMs / 1000, 1)} s; re-apply (no-op): ${fmt(r.reapplyMs / 1000, 1)} s ("${r.reapplyOutput}")`,
  );
  console.log(
    `    health fan-out, schedule fire -> last of ${HOSTS} monitors updated: p50 ${fmt(r.fanOutMs.p50, 0)} ms, max ${fmt(r.fanOutMs.max, 0)} ms over ${r.fanOutMs.trials.length} trials on the settled fleet — goal <= ${GOALS.fanOutMs} ms: ${ok(r.pass.fanOut)}`,
  );
  console.log(
    `    the same right after every set was backed up at once: p50 ${fmt(r.fanOutAfterBackupsMs.p50, 0)} ms, max ${fmt(r.fanOutAfterBackupsMs.max, 0)} ms over ${r.fanOutAfterBackupsMs.trials.length} trials${r.fanOutAfterBackupsMs.failed.length ? `; ${r.fanOutAfterBackupsMs.failed.length} more failed (${r.fanOutAfterBackupsMs.failed[0]})` : ''}`,
  );
  console.log(
    `    worker start (spawn -> polling): host ${fmt(r.startMs.host, 0)} ms, workflow ${fmt(r.startMs.workflow, 0)} ms; idle RSS: host workers median ${fmt(r.rssMiB.hostMedian, 0)} MiB, max ${fmt(r.rssMiB.hostMax, 0)} MiB = ${fmt(r.rssMiB.hostMax * MB_PER_MIB, 0)} MB — goal <= ${GOALS.hostRssMB} MB: ${ok(r.pass.rss)} (PSS median ${fmt(r.rssMiB.hostPssMedian, 0)} MiB); workflow workers max ${fmt(r.rssMiB.workflowMax, 0)} MiB`,
  );
  console.log(
    `    history while nothing changes: ${r.history.perHour} events/hour for the fleet (${r.history.events} in ${r.history.windowS} s): ${Object.entries(
      r.history.byKind,
    )
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  console.log(
    r.backups.ran >= r.backups.of
      ? `    every set backed up once (to give status a newest backup per set): ${r.backups.ran} runs in ${fmt(r.backups.ms / 1000, 0)} s`
      : `    every set backed up once (to give status a newest backup per set): only ${r.backups.ran} of ${r.backups.of} runs done in ${fmt(r.backups.ms / 1000, 0)} s (the limit); the rest ran on`,
  );
  console.log(
    `    hactl status --json for the whole fleet: ${fmt(r.statusMs.median, 0)} ms median of ${r.statusMs.runs.length} (${Math.round(r.statusMs.bytes / 1024)} KiB) — goal <= ${GOALS.statusMs} ms: ${ok(r.pass.status)}`,
  );
  console.log(
    `      the first run after an upgrade or a config change (no compiled code, no validated config kept): ${fmt(r.statusMs.coldMs, 0)} ms`,
  );
}

export function printFleet(r: FleetBenchResult): void {
  console.log(
    `fleet (${HOSTS} hosts, ${HOSTS * SETS_PER_HOST} backup schedules, ${GROUPS} failover groups, ${SERVICES} services; one machine, ${os.cpus().length} cores):`,
  );
  if ('error' in r.dev) console.log(`  on the dev server: not measured: ${r.dev.error}`);
  else printRun(r.dev);
  if ('error' in r.cluster) console.log(`  on the cluster: not measured: ${r.cluster.error}`);
  else printRun(r.cluster);
}
