// Failover groups on the real path: three host workers observing two real node programs (HTTP
// /health and /role, the role in a file), the suite's server, fence and promote as real
// commands, and events delivered to a webhook. Primaries are counted by asking each node's
// /role ourselves, not the tool.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { failoverHistory, groupState } from '../../src/failover/client';
import type { GroupView } from '../../src/failover/model/types';
import { ROOT } from '../setup/shared';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { startReceiver } from '../helpers/receiver';
import type { TestReceiver } from '../helpers/receiver';
import { freePorts } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('failover');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const NODE = path.join(ROOT, 'test', 'fixtures', 'failover', 'node.js');
const HOSTS = ['alpha', 'beta', 'gamma'] as const;
let client: Client;
let close: () => Promise<void>;
let hook: TestReceiver;
let ports: { pg1: number; pg2: number };
const workers: Record<string, WorkerProcess> = {};

const cli = (args: string[]) => hactl(args, { env: env.env });
const node = (args: string[]) => JSON.stringify([process.execPath, NODE, ...args]);
const state = (): Promise<GroupView> => groupState(client, 'db');
async function roleOf(port: number): Promise<string | null> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/role`, { signal: AbortSignal.timeout(500) })).text();
  } catch {
    return null;
  }
}
const primaries = async (): Promise<string[]> =>
  (
    await Promise.all(
      Object.entries(ports).map(async ([n, p]) => ((await roleOf(p)) === 'primary' ? n : null)),
    )
  ).filter((n): n is string => n !== null);
const promotions = (n: string): number =>
  existsSync(W(n, 'promotions')) ? readFileSync(W(n, 'promotions'), 'utf8').trim().split('\n').length : 0;

/** A host's worker; its probes reach the nodes at `probeHost` (127.0.0.2: a partitioned observer). */
async function startHost(h: string, probeHost: string): Promise<void> {
  workers[h] = await startWorker(env, h, [], { PROMOTE_DELAY_MS: '0', PROBE_HOST: probeHost });
}

async function startNode(name: 'pg1' | 'pg2', role: string): Promise<void> {
  const r = await new Promise<number | null>((resolve) => {
    spawn(
      process.execPath,
      [NODE, 'start', '--port', String(ports[name]), '--dir', W(name), '--role', role],
      {
        stdio: 'ignore',
      },
    ).on('exit', resolve);
  });
  if (r !== 0) throw new Error(`node ${name} did not start`);
}

function config(extra = ''): string {
  return `version: 1
hosts:
  - { name: alpha }
  - { name: beta }
  - { name: gamma }
notifications:
  receivers:
    - { name: hook, type: webhook, url: ${JSON.stringify(`${hook.url}/hook`)}, timeout: 2s }
  routes:
    - { receiver: hook, groupWait: 0s, groupInterval: 1s, groupBy: [alertname, group] }
failover:
  - name: db
    nodes:
      - { name: pg1, host: alpha, priority: 100, env: { PORT: '${ports.pg1}', DIR: ${JSON.stringify(W('pg1'))} } }
      - { name: pg2, host: beta, priority: 90, env: { PORT: '${ports.pg2}', DIR: ${JSON.stringify(W('pg2'))} } }
    primary: pg1
    observers: [alpha, beta, gamma]
    health: [{ type: http, url: 'http://\${PROBE_HOST}:\${PORT}/health', interval: 500ms, timeout: 400ms, failureThreshold: 3 }]
    role: { type: http, url: 'http://127.0.0.1:\${PORT}/role', interval: 500ms, timeout: 400ms }
    actions:
      fence: [{ argv: ${node(['fence', '--dir', '${DIR}'])} }]
      promote: { argv: ${node(['promote', '--dir', '${DIR}', '--delay-ms', '${PROMOTE_DELAY_MS}'])} }
      demote: { argv: ${node(['demote', '--dir', '${DIR}'])} }
    cooldown: 0s
${extra}`;
}

beforeAll(async () => {
  hook = await startReceiver();
  const p = await freePorts(2);
  ports = { pg1: p[0]!, pg2: p[1]! };
  for (const n of ['pg1', 'pg2']) mkdirSync(W(n), { recursive: true });
  await startNode('pg1', 'primary');
  await startNode('pg2', 'standby');
  ({ client, close } = await connect(env));
  for (const h of HOSTS) await startHost(h, '127.0.0.1');
  writeConfig(tmp.dir, 'ha.yml', config());
  const applied = await cli(['apply', W('ha.yml')]);
  if (applied.code !== 0) throw new Error(applied.stderr + applied.stdout);
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(workers).map((w) => w.stop()));
  for (const n of ['pg1', 'pg2']) spawnStop(n);
  await close?.();
  await hook.close();
  tmp.cleanup();
});

function spawnStop(n: string): void {
  spawnSync(process.execPath, [NODE, 'stop', '--dir', W(n)]);
}

describe('failover group with real nodes', () => {
  it('watches both nodes: healthy, pg1 primary, and says why nothing happens', async () => {
    const v = await waitFor(
      async () => {
        const s = await state();
        return s.nodes.every((n) => n.health === 'up') ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(v.primary).toBe('pg1');
    expect(v.explain).toBe('no failover: primary pg1 is healthy for 3 of 3 observers');
    const r = await cli(['failover', 'status', 'db']);
    expect(r.stdout).toContain('db: healthy, primary pg1, mode automatic');
    // Status reads the view the controller keeps in its memo: the listing shows it a moment later.
    const line = /db\s+healthy\s+pg1\s+pg1:primary\/up pg2:standby\/up/;
    await waitFor(async () => line.test((await cli(['status', '--config', W('ha.yml')])).stdout), {
      timeoutMs: 10_000,
    });
  });

  it('a fence that fails: no promotion, the status says why, a critical alert; fixed and forced, pg2 takes over', async () => {
    writeFileSync(W('pg1', 'fence-fails'), 'power switch unreachable');
    spawnStop('pg1'); // the primary dies
    const waiting = await waitFor(
      async () => {
        const s = await state();
        return s.state === 'waiting' ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(waiting.explain).toContain('fence of pg1 failed');
    expect(waiting.explain).toContain('fence refused: power switch unreachable');
    expect(await primaries()).toEqual([]); // pg1 is dead and nothing was promoted
    expect(promotions('pg2')).toBe(0);
    await waitFor(() =>
      hook.accepted().find((r) => r.body.alerts.some((a) => a.labels.alertname === 'FailoverFenceFailed')),
    );
    const st = await cli(['failover', 'explain', 'db']);
    expect(st.stdout).toContain('fence it by hand, then run hactl failover failover db --to NODE --force');
    rmSync(W('pg1', 'fence-fails'));
    const forced = await cli(['failover', 'failover', 'db', '--to', 'pg2', '--force']);
    expect(forced.code).toBe(0);
    await waitFor(async () => (await state()).primary === 'pg2', { timeoutMs: 30_000 });
    expect(await primaries()).toEqual(['pg2']);
    expect(promotions('pg2')).toBe(1);
  });

  it('switchover back to pg1 once it is a healthy standby again; refused for an unknown node', async () => {
    await startNode('pg1', 'standby');
    await waitFor(async () => (await state()).nodes.find((n) => n.name === 'pg1')?.health === 'up', {
      timeoutMs: 30_000,
    });
    const bad = await cli(['failover', 'switchover', 'db', '--to', 'pg7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no node "pg7" in group db (nodes: pg1, pg2)');
    const r = await cli(['failover', 'switchover', 'db', '--to', 'pg1']);
    expect(r.code).toBe(0);
    await waitFor(async () => (await state()).primary === 'pg1', { timeoutMs: 30_000 });
    expect(await primaries()).toEqual(['pg1']);
    const h = await failoverHistory(client, 'db');
    // The demoted pg2 said primary until the next probe: that is not a split brain.
    expect(h.some((e) => e.kind === 'split-brain')).toBe(false);
    expect(h.at(-1)).toMatchObject({
      kind: 'switchover',
      from: 'pg2',
      to: 'pg1',
      reason: 'planned: pg2 → pg1',
    });
  });

  it('the primary is killed: pg2 is fenced-over automatically and verified, with per-phase timings', async () => {
    await waitFor(async () => (await state()).nodes.every((n) => n.health === 'up'), { timeoutMs: 30_000 });
    const before = promotions('pg2');
    const t0 = Date.now();
    spawnStop('pg1');
    await waitFor(async () => (await state()).primary === 'pg2', { timeoutMs: 30_000 });
    const took = Date.now() - t0;
    await waitFor(async () => (await primaries()).join() === 'pg2');
    expect(promotions('pg2')).toBe(before + 1);
    const ev = (await failoverHistory(client, 'db')).filter((e) => e.kind === 'failover').at(-1)!;
    expect(ev).toMatchObject({ from: 'pg1', to: 'pg2' });
    for (const k of ['detect', 'fence', 'select', 'promote', 'verify', 'total'])
      expect(ev.timings[k]).toBeGreaterThanOrEqual(0);
    console.log(`kill -> pg2 verified primary after ${took} ms; phases ${JSON.stringify(ev.timings)}`);
    expect(readFileSync(W('pg1', 'role'), 'utf8')).toBe('fenced');
    const hist = await cli(['failover', 'history', 'db']);
    expect(hist.stdout).toMatch(/failover\s+pg1\s+pg2/);
    await waitFor(() =>
      hook.accepted().find((r) => r.body.alerts.some((a) => a.labels.alertname === 'FailoverCompleted')),
    );
  });

  it('an old primary that comes back as primary is fenced (split brain)', async () => {
    await startNode('pg1', 'primary');
    await waitFor(async () => (await failoverHistory(client, 'db')).some((e) => e.kind === 'split-brain'), {
      timeoutMs: 30_000,
    });
    const ev = (await failoverHistory(client, 'db')).find((e) => e.kind === 'split-brain')!;
    expect(ev.reason).toBe('pg1 reports primary while pg2 is the primary; fenced pg1');
    await waitFor(async () => (await roleOf(ports.pg1)) === null);
    expect(readFileSync(W('pg1', 'role'), 'utf8')).toBe('fenced');
    expect(await primaries()).toEqual(['pg2']);
    await waitFor(() =>
      hook.accepted().find((r) => r.body.alerts.some((a) => a.labels.alertname === 'SplitBrain')),
    );
  });

  it('an observer that alone sees the primary failing: no failover, and the explanation says why', async () => {
    await workers.gamma!.stop();
    await startHost('gamma', '127.0.0.2'); // gamma's probes now reach nothing
    const v = await waitFor(
      async () => {
        const s = await state();
        return s.explain.includes('gamma:') ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(v.explain).toMatch(
      /^no failover: primary pg2 is healthy for 2 of 3 observers failing for 1 \(gamma: /,
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect((await state()).primary).toBe('pg2');
    expect(await primaries()).toEqual(['pg2']);
    await workers.gamma!.stop();
    await startHost('gamma', '127.0.0.1');
  });

  it('every node dead: nothing is promoted, a critical alert says why', async () => {
    const before = promotions('pg1') + promotions('pg2');
    spawnStop('pg2');
    await waitFor(async () => (await failoverHistory(client, 'db')).some((e) => e.kind === 'no-target'), {
      timeoutMs: 30_000,
    });
    const ev = (await failoverHistory(client, 'db')).find((e) => e.kind === 'no-target')!;
    expect(ev.reason).toContain('no node can take over: pg1 fenced');
    expect(promotions('pg1') + promotions('pg2')).toBe(before);
    await waitFor(() =>
      hook
        .accepted()
        .find((r) =>
          r.body.alerts.some(
            (a) => a.labels.alertname === 'FailoverNoTarget' && a.labels.severity === 'critical',
          ),
        ),
    );
  });
});
