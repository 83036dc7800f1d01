// DR plans: what the plan workflow adds to the work of its steps, against the same commands run
// directly by Node in the same run. A 50-step plan of no-op steps (`true` on a host worker): the
// overhead per step, p50, goal ≤ 50 ms. A group of ten 1 s steps: its span, goal ≤ 1.2 s, beside
// ten `sleep 1` started at once directly. And the time from an approval update returning to the
// next step starting, p50.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { decide, runState, startRun } from '../src/dr/client';
import type { DrConfig } from '../src/dr/desired';
import type { RunView } from '../src/dr/model/types';
import { loadConfig } from '../src/platform/registry-api';
import { ensureTemporalCli } from '../src/platform/temporal/cli-binary';
import { freePort, startDevServer } from '../src/platform/temporal/dev-server';
import type { drReferenceWorkflow } from './dr-reference';
import { fmt, median } from './util';

const ROOT = path.resolve(__dirname, '..', '..');
const HACTL = path.join(ROOT, 'bin', 'hactl.js');

export interface DrBenchResult {
  steps: number;
  perStepOverheadP50Ms: number;
  /** The same activity run back to back by a bare workflow: Temporal's own cost per step. */
  referencePerStepMs: number;
  directCommandMs: number;
  goalPerStepMs: number;
  parallel: { spanMs: number; directSpanMs: number; goalMs: number };
  approval: { trials: number; p50Ms: number; maxMs: number };
  pass: boolean;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ms = (iso: string | null): number => Date.parse(iso!);

function config(n: number, approvals: number): string {
  const step = (name: string, argv: string[]) =>
    `          - { name: ${name}, command: { host: alpha, argv: ${JSON.stringify(argv)} } }`;
  const seq = Array.from(
    { length: n },
    (_, i) => `      - name: g${i}\n        steps:\n${step(`s${i}`, ['true'])}`,
  ).join('\n');
  const par = Array.from({ length: 10 }, (_, i) => step(`p${i}`, ['sleep', '1'])).join('\n');
  const appr = Array.from(
    { length: approvals },
    (_, i) =>
      `      - name: a${i}\n        steps:\n          - { name: ok${i}, approval: { approvers: [ann] } }\n      - name: n${i}\n        steps:\n${step(`next${i}`, ['date', '+%s%N'])}`,
  ).join('\n');
  return `version: 1
hosts: [{ name: alpha }]
drPlans:
  - name: steps
    groups:
${seq}
  - name: parallel
    groups:
      - name: ten
        steps:
${par}
  - name: approvals
    contacts: [{ name: ann, role: dba }]
    groups:
${appr}
`;
}

/** Runs the reference workflow on its own queue with an in-process worker; returns its step ends. */
async function reference(address: string, n: number): Promise<number[]> {
  const { NativeConnection, Worker, bundleWorkflowCode } = await import('@temporalio/worker');
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./dr-reference') });
  const native = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  try {
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue: 'bench-dr-reference',
      workflowBundle: bundle,
    });
    return await worker.runUntil(
      client.workflow.execute<typeof drReferenceWorkflow>('drReferenceWorkflow', {
        taskQueue: 'bench-dr-reference',
        workflowId: `bench-dr-reference-${Date.now()}`,
        args: [{ host: 'alpha', n, argv: ['true'] }],
      }),
    );
  } finally {
    await connection.close();
    await native.close();
  }
}

export async function benchDr(
  steps = 50,
  approvals = Number(process.env.HA_BENCH_TRIALS ?? 10),
): Promise<DrBenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-bench-dr-'));
  const cli = await ensureTemporalCli(() => undefined);
  const server = await startDevServer({ bin: cli.path, port: await freePort() });
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    HA_STATE_DIR: path.join(dir, 'state'),
  };
  const workers: ChildProcess[] = [];
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  try {
    const file = path.join(dir, 'ha.yml');
    writeFileSync(file, config(steps, approvals));
    const cfg = loadConfig(file) as unknown as DrConfig;
    workers.push(
      spawn(process.execPath, [HACTL, 'worker', '--host', 'alpha', '--workflows'], { env, stdio: 'ignore' }),
    );
    const applied = spawnSync(process.execPath, [HACTL, 'apply', file], { env, encoding: 'utf8' });
    if (applied.status !== 0) throw new Error(`apply failed: ${applied.stderr}`);
    const finish = async (plan: string): Promise<RunView> => {
      const h = await startRun(client, cfg, plan, { by: 'bench' });
      await h.result();
      return runState(client, h.workflowId);
    };
    await finish('steps'); // warm up: bundle loaded, caches filled

    // Sequential no-op steps: per step, the time between one step's end and the next one's,
    // less what the command itself takes when Node runs it directly; and the same activity run
    // back to back by a bare workflow, which is what Temporal itself costs per step here.
    const seq = await finish('steps');
    const ends = seq.steps.filter((s) => s.name.startsWith('s')).map((s) => ms(s.endedAt));
    const direct: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t = performance.now();
      spawnSync('true');
      direct.push(performance.now() - t);
    }
    const directMs = median(direct);
    const gaps = ends.slice(1).map((e, i) => e - ends[i]! - directMs);
    const perStep = median(gaps);
    const refEnds = await reference(server.address, steps);
    const refPerStep = median(refEnds.slice(1).map((e, i) => e - refEnds[i]! - directMs));

    // Ten 1 s steps in one group, against ten `sleep 1` started at once directly.
    const par = await finish('parallel');
    // p0..p9 only: the run's synthetic first step, `preconditions`, starts with a p too.
    const ps = par.steps.filter((s) => /^p\d+$/.test(s.name));
    const span = Math.max(...ps.map((s) => ms(s.endedAt))) - Math.min(...ps.map((s) => ms(s.startedAt)));
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 10 }, () => new Promise((r) => spawn('sleep', ['1']).on('exit', r))),
    );
    const directSpan = performance.now() - t0;

    // Approval → next step: the update returns, then how long until the next step starts.
    const h = await startRun(client, cfg, 'approvals', { by: 'bench' });
    const lat: number[] = [];
    for (let i = 0; i < approvals; i++) {
      for (;;) {
        const v = await runState(client, h.workflowId);
        if (v.steps.find((s) => s.name === `ok${i}`)?.state === 'awaiting-approval') break;
        await wait(20);
      }
      await decide(client, h.workflowId, 'approve', { step: `ok${i}`, by: 'ann' });
      const returned = Date.now();
      // The next step's command prints when it started (date +%s%N), on the same machine.
      let out = '';
      while (!out) {
        const s = (await runState(client, h.workflowId)).steps.find((x) => x.name === `next${i}`)!;
        if (s.state === 'completed') out = s.output.trim();
        else await wait(5);
      }
      lat.push(Number(out) / 1e6 - returned);
    }
    await h.result();
    const p50 = median(lat);
    const result: DrBenchResult = {
      steps,
      perStepOverheadP50Ms: perStep,
      referencePerStepMs: refPerStep,
      directCommandMs: directMs,
      goalPerStepMs: 50,
      parallel: { spanMs: span, directSpanMs: directSpan, goalMs: 1200 },
      approval: { trials: approvals, p50Ms: p50, maxMs: Math.max(...lat) },
      pass: false,
    };
    result.pass = perStep <= 50 && span <= 1200;
    return result;
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await connection.close();
    await new Promise((r) => setTimeout(r, 500));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printDr(r: DrBenchResult): void {
  const ok = (b: boolean): string => (b ? 'PASS' : 'FAIL');
  console.log('DR plans (one host worker, dev server; commands run on the host as argv):');
  console.log(
    `  ${r.steps} sequential no-op steps: overhead per step p50 ${fmt(r.perStepOverheadP50Ms)} ms beyond the command itself (\`true\` run directly: ${fmt(r.directCommandMs)} ms) — goal ≤ ${r.goalPerStepMs} ms: ${ok(r.perStepOverheadP50Ms <= r.goalPerStepMs)}`,
  );
  console.log(
    `    reference: the same activity back to back in a bare workflow ${fmt(r.referencePerStepMs)} ms per step (Temporal's round trip on this server); the plan workflow adds ${fmt(r.perStepOverheadP50Ms - r.referencePerStepMs)} ms`,
  );
  console.log(
    `  a group of ten 1 s steps: ${fmt(r.parallel.spanMs / 1000, 2)} s from the first start to the last end (ten \`sleep 1\` started directly: ${fmt(r.parallel.directSpanMs / 1000, 2)} s) — goal ≤ ${fmt(r.parallel.goalMs / 1000, 1)} s: ${ok(r.parallel.spanMs <= r.parallel.goalMs)}`,
  );
  console.log(
    `  approval → next step's command running: p50 ${fmt(r.approval.p50Ms)} ms, max ${fmt(r.approval.maxMs)} ms over ${r.approval.trials} approvals (from the approve update returning to the command's own start time)`,
  );
}
