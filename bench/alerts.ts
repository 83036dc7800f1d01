// Alerts: latency from the first bad sample to the webhook (p95 over trials, against the
// budget interval × for + groupWait + 1 s), evaluation CPU per host per snapshot with 50 rules
// (against the cost of taking the snapshot, in the same run), and 1,000 alerts firing at once
// across 50 hosts, delivered grouped, beside what a loopback webhook absorbs in the same run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createHealthCollector } from '../activities/health/collector';
import type { DispatchConfig } from '../src/alerts/model/dispatch';
import { alertLabels, newDispatchState, putAlert } from '../src/alerts/model/dispatch';
import { newSeries, step } from '../src/alerts/model/evaluate';
import { labelSetString } from '../src/alerts/model/labels';
import type { AlertRule } from '../src/alerts/model/types';
import { samplesSignal } from '../src/core/metrics';
import { SHARED_TASK_QUEUE } from '../src/core/names';
import { reportSamples } from '../src/health/model/metrics';
import { ensureTemporalCli } from '../src/platform/temporal/cli-binary';
import { freePort, startDevServer } from '../src/platform/temporal/dev-server';
import type { alertsManagerWorkflow } from '../workflows/alerts/manager';
import type { notifierWorkflow } from '../workflows/alerts/notifier';
import { startReceiver } from '../test/helpers/receiver';
import { fmt, measure, median } from './util';

const ROOT = path.resolve(__dirname, '..', '..');
const HACTL = path.join(ROOT, 'bin', 'hactl.js');

export interface AlertsBenchResult {
  latency: { trials: number; p50Ms: number; p95Ms: number; budgetMs: number; pass: boolean };
  evaluation: {
    rules: number;
    samples: number;
    cpuMsPerSnapshot: number;
    collectCpuMs: number;
    targetMs: number;
    pass: boolean;
  };
  burst: {
    alerts: number;
    hosts: number;
    notifications: number;
    deliveredMs: number;
    loopbackPerSec: number;
    pass: boolean;
  };
}

function p(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(20);
  }
}

/** In process: the manager's evaluation work for one host's snapshot with `n` rules. */
async function evaluationCost(n: number): Promise<AlertsBenchResult['evaluation']> {
  const collector = createHealthCollector({ host: 'bench' });
  await collector.prime();
  const snapshot = await collector.collect();
  const collect = await measure(() => collector.collect());
  const batch = reportSamples({ host: 'bench', ok: true, at: snapshot.collectedAt, snapshot });
  const metrics = [...new Set(batch.samples.map((s) => s.name))];
  const rules: AlertRule[] = Array.from({ length: n }, (_, i) => ({
    name: `R${i}`,
    metric: metrics[i % metrics.length]!,
    where: {},
    op: '>',
    threshold: i % 2 ? -1 : 1e12, // half of them fire, half never do
    resolve: null,
    for: { samples: 2 },
    keepFiringForMs: 0,
    severity: 'warning',
    hosts: null,
    labels: {},
    annotations: { summary: '{{ host }} {{ value }}' },
  }));
  const cfg: DispatchConfig = {
    routes: [],
    defaultRoute: {
      matchers: [],
      receiver: 'r',
      groupBy: ['alertname'],
      groupWaitMs: 30_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 14_400_000,
      continue: false,
    },
    receivers: { r: { sendResolved: true } },
    inhibit: [],
    externalURL: 'x',
    generatorURL: 'x',
  };
  const dispatch = newDispatchState();
  const series = new Map<string, ReturnType<typeof newSeries>>();
  const evaluate = (at: number): void => {
    for (const rule of rules) {
      for (const s of batch.samples) {
        if (s.name !== rule.metric) continue;
        const key = `${rule.name}|bench|${labelSetString(s.labels)}`;
        const { next, events } = step(rule, series.get(key) ?? newSeries(), { value: s.value, at });
        series.set(key, next);
        if (events.length) {
          const { labels, annotations } = alertLabels(rule, 'bench', s.labels, s.value);
          putAlert(
            dispatch,
            cfg,
            {
              labels,
              annotations,
              status: 'firing',
              startsAt: new Date(at).toISOString(),
              endsAt: null,
              value: s.value,
              flapping: false,
            },
            at,
          );
        }
      }
    }
  };
  for (let i = 0; i < 20; i++) evaluate(i * 1000); // warm up: JIT, and alerts fired
  const costs: number[] = [];
  for (let i = 20; i < 220; i++) {
    const t = process.cpuUsage();
    evaluate(i * 1000);
    const d = process.cpuUsage(t);
    costs.push((d.user + d.system) / 1000);
  }
  const cpu = median(costs);
  return {
    rules: n,
    samples: batch.samples.length,
    cpuMsPerSnapshot: cpu,
    collectCpuMs: collect.cpuMs,
    targetMs: 2,
    pass: cpu <= 2,
  };
}

export async function benchAlerts(trials = 20): Promise<AlertsBenchResult> {
  const evaluation = await evaluationCost(50);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-bench-alerts-'));
  const cli = await ensureTemporalCli(() => undefined);
  const port = await freePort();
  const server = await startDevServer({ bin: cli.path, port });
  const hook = await startReceiver();
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    HA_STATE_DIR: path.join(dir, 'state'),
  };
  const metricsFile = path.join(dir, 'bench.json');
  writeFileSync(metricsFile, '{}');
  let worker: ChildProcess | undefined;
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  try {
    worker = spawn(process.execPath, [HACTL, 'worker', '--host', 'bench', '--workflows'], {
      env: { ...env, HA_TEST_METRICS_FILE: metricsFile },
      stdio: 'ignore',
    });
    const interval = 1000;
    const forSamples = 2;
    const groupWait = 1000;
    writeFileSync(
      path.join(dir, 'ha.yml'),
      `version: 1
hosts:
  - name: bench
health: { interval: 1s, timeout: 800ms }
alerts:
  rules:
    - { name: Latency, metric: fs.used_percent, threshold: 95, for: ${forSamples} samples }
notifications:
  receivers:
    - { name: hook, type: webhook, url: ${JSON.stringify(`${hook.url}/latency`)} }
  routes:
    - { receiver: hook, groupBy: [alertname, mount], groupWait: 1s, groupInterval: 1s }
`,
    );
    const applied = spawn(process.execPath, [HACTL, 'apply', path.join(dir, 'ha.yml')], {
      env,
      stdio: 'ignore',
    });
    await new Promise((r) => applied.once('exit', r));
    // Each trial its own mount: its own series, so that repeated trials never look like flapping.
    const latencies: number[] = [];
    const values: Record<string, number> = {};
    await wait(3000);
    for (let i = 0; i < trials; i++) {
      values[`fs.used_percent{mount=/t${i}}`] = 99;
      writeFileSync(metricsFile, JSON.stringify(values));
      const got = await until(
        () =>
          hook
            .accepted()
            .find((r) => r.body.alerts.some((a) => a.labels.mount === `/t${i}` && a.status === 'firing')),
        30_000,
        `trial ${i}`,
      );
      const alert = got.body.alerts.find((a) => a.labels.mount === `/t${i}`)!;
      // startsAt is the sample that fired; the first bad one came (for - 1) intervals before it.
      const firstBad = Date.parse(alert.startsAt) - (forSamples - 1) * interval;
      latencies.push(got.at - firstBad);
      values[`fs.used_percent{mount=/t${i}}`] = 10;
      writeFileSync(metricsFile, JSON.stringify(values));
      await wait(300);
    }
    const budget = interval * forSamples + groupWait + 1000;
    const latency = {
      trials,
      p50Ms: p(latencies, 0.5),
      p95Ms: p(latencies, 0.95),
      budgetMs: budget,
      pass: p(latencies, 0.95) <= budget,
    };

    // The burst: 1,000 alerts across 50 hosts, injected straight into a manager of their own.
    await client.workflow.getHandle('alerts:manager').terminate('bench: burst');
    await client.workflow.getHandle('notify:hook').terminate('bench: burst');
    const hosts = 50;
    const perHost = 20;
    const manager = await client.workflow.start<typeof alertsManagerWorkflow>('alertsManagerWorkflow', {
      workflowId: 'alerts:manager',
      taskQueue: SHARED_TASK_QUEUE,
      args: [
        {
          rules: [
            {
              name: 'Burst',
              metric: 'fs.used_percent',
              where: {},
              op: '>',
              threshold: 98,
              resolve: null,
              for: { samples: 1 },
              keepFiringForMs: 0,
              severity: 'warning',
              hosts: null,
              labels: {},
              annotations: {},
            },
          ],
          dispatch: {
            routes: [
              {
                matchers: [],
                receiver: 'hook',
                groupBy: ['alertname', 'host'],
                groupWaitMs: 1000,
                groupIntervalMs: 60_000,
                repeatIntervalMs: 3_600_000,
                continue: false,
              },
            ],
            defaultRoute: null,
            receivers: { hook: { sendResolved: true } },
            inhibit: [],
            externalURL: 'http://ui',
            generatorURL: 'http://ui/wf',
          },
          monitors: {},
          staleAfterMs: 3_600_000,
          fleetIntervalMs: null,
        },
      ],
    });
    await client.workflow.start<typeof notifierWorkflow>('notifierWorkflow', {
      workflowId: 'notify:hook',
      taskQueue: SHARED_TASK_QUEUE,
      args: [
        {
          receiver: {
            name: 'hook',
            type: 'webhook',
            url: `${hook.url}/burst`,
            timeoutMs: 10_000,
            hmacSecret: null,
            sendResolved: true,
            maxAgeMs: 600_000,
          },
        },
      ],
    });
    const t0 = Date.now();
    const at = new Date().toISOString();
    await Promise.all(
      Array.from({ length: hosts }, (_, h) =>
        manager.signal(samplesSignal, {
          source: `host${h}`,
          at,
          samples: Array.from({ length: perHost }, (_, m) => ({
            name: 'fs.used_percent',
            labels: { mount: `/m${m}` },
            value: 99,
          })),
        }),
      ),
    );
    const burst = () => hook.accepted().filter((r) => r.path === '/burst');
    await until(
      () => (burst().reduce((n, r) => n + r.body.alerts.length, 0) >= hosts * perHost ? true : undefined),
      300_000,
      'the burst',
    );
    const deliveredMs = Date.now() - t0;
    // Reference: the same number of notifications of the same size, posted back to back.
    const sample = burst()[0]!.raw;
    const r0 = Date.now();
    for (let i = 0; i < burst().length; i++)
      await fetch(`${hook.url}/reference`, {
        method: 'POST',
        body: sample,
        headers: { 'Content-Type': 'application/json' },
      });
    const loopbackPerSec = (burst().length / (Date.now() - r0)) * 1000;
    return {
      latency,
      evaluation,
      burst: {
        alerts: hosts * perHost,
        hosts,
        notifications: burst().length,
        deliveredMs,
        loopbackPerSec,
        pass: burst().length === hosts,
      },
    };
  } finally {
    worker?.kill('SIGTERM');
    await connection.close();
    await hook.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printAlerts(r: AlertsBenchResult): void {
  const ok = (b: boolean): string => (b ? 'PASS' : 'FAIL');
  console.log(`alerts (health every 1s, for: 2 samples, groupWait 1s, webhook on loopback):`);
  console.log(
    `  latency, first bad sample -> webhook: p50 ${fmt(r.latency.p50Ms / 1000, 2)}s, p95 ${fmt(r.latency.p95Ms / 1000, 2)}s over ${r.latency.trials} trials; budget interval x for + groupWait + 1s = ${fmt(r.latency.budgetMs / 1000, 1)}s: ${ok(r.latency.pass)}`,
  );
  console.log(
    `  evaluation: ${fmt(r.evaluation.cpuMsPerSnapshot, 3)} ms CPU per host snapshot with ${r.evaluation.rules} rules over ${r.evaluation.samples} samples (taking the snapshot: ${fmt(r.evaluation.collectCpuMs, 1)} ms); target <= ${r.evaluation.targetMs} ms: ${ok(r.evaluation.pass)}`,
  );
  console.log(
    `  burst: ${r.burst.alerts} alerts on ${r.burst.hosts} hosts -> ${r.burst.notifications} grouped notifications, all delivered in ${fmt(r.burst.deliveredMs / 1000, 2)}s; the loopback webhook alone takes ${fmt(r.burst.loopbackPerSec, 0)} such notifications/s: ${ok(r.burst.pass)}`,
  );
}
