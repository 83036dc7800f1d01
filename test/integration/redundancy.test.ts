// Service redundancy on the real path: three host workers (one machine, each "host" with its own
// port for the service), the suite's server, a tiny real service program started by the
// configured commands, real HTTP probes, and the notifier delivering to a webhook. What runs is
// counted with /proc and ports, not with the tool's own report.
// Over 400 lines on purpose: one fleet of real workers is started once and shared by every case.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { serviceHistory, serviceState } from '../../src/redundancy/client';
import type { ServiceView } from '../../src/redundancy/model/types';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { startReceiver } from '../helpers/receiver';
import type { TestReceiver } from '../helpers/receiver';
import { freePorts, killHard, listeners, processesOf, readPid, serviceCommands } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('redundancy');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const HOSTS = ['alpha', 'beta', 'gamma'] as const;
type Host = (typeof HOSTS)[number];
let client: Client;
let close: () => Promise<void>;
let hook: TestReceiver;
let ports: Record<Host, number>;
const workers: Partial<Record<Host, WorkerProcess>> = {};

const pidfile = (host: string, instance: string): string => W(host, `${instance}.pid`);
/** Live `serve` processes of the web service, per host, from /proc. */
function serving(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of HOSTS) {
    out[h] = processesOf(`${W(h)}/`).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('\0serve\0');
      } catch {
        return false;
      }
    }).length;
  }
  return out;
}
const total = (): number => Object.values(serving()).reduce((a, b) => a + b, 0);

async function startHost(h: Host): Promise<void> {
  workers[h] = await startWorker(env, h, [], { SVC_PORT: String(ports[h]) });
}

const cli = (args: string[]) => hactl(args, { env: env.env });
const state = (): Promise<ServiceView> => serviceState(client, 'web');
let last: ServiceView | undefined;
async function until(
  pred: (v: ServiceView) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<ServiceView> {
  return waitFor(
    async () => {
      last = await state();
      return pred(last) ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: 100,
      message: () =>
        `web did not become ${what}; last: ${JSON.stringify(last?.instances.map((i) => [i.id, i.host, i.state, i.lastReason]))}`,
    },
  );
}
const hostOf = (v: ServiceView, id: string): Host => v.instances.find((i) => i.id === id)!.host as Host;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function config(extra = ''): string {
  const cmds = serviceCommands({ dir: W('${HA_HOST}'), port: '${SVC_PORT}' });
  return `version: 1
hosts:
  - { name: alpha }
  - { name: beta }
  - { name: gamma }
health: { interval: 1s, timeout: 800ms }
notifications:
  receivers:
    - { name: hook, type: webhook, url: ${JSON.stringify(`${hook.url}/hook`)}, timeout: 2s }
  routes:
    - { receiver: hook, groupWait: 0s, groupInterval: 1s, groupBy: [alertname, service] }
services:
  - name: web
    minInstances: 2
    start: ${JSON.stringify(cmds.start)}
    stop: ${JSON.stringify(cmds.stop)}
    status: ${JSON.stringify(cmds.status)}
    probes:
      - { type: http, url: 'http://127.0.0.1:\${SVC_PORT}/health', interval: 500ms, timeout: 400ms, failureThreshold: 3 }
    restart: { inPlace: 2, window: 1m, backoff: { initial: 1s, max: 4s } }
${extra}`;
}

beforeAll(async () => {
  hook = await startReceiver();
  for (const h of HOSTS) mkdirSync(W(h), { recursive: true });
  const p = await freePorts(3);
  ports = { alpha: p[0]!, beta: p[1]!, gamma: p[2]! };
  ({ client, close } = await connect(env));
  for (const h of HOSTS) await startHost(h);
  writeConfig(tmp.dir, 'ha.yml', config());
  const applied = await cli(['apply', W('ha.yml')]);
  if (applied.code !== 0) throw new Error(applied.stderr + applied.stdout);
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(workers).map((w) => w?.stop()));
  // Stop every instance the tests left running.
  for (const h of HOSTS)
    for (const pid of processesOf(`${W(h)}/`))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  await close?.();
  await hook.close();
  tmp.cleanup();
});

describe('service redundancy with real processes', () => {
  it('starts two instances on two hosts, healthy by their real HTTP probes', async () => {
    const v = await until((x) => x.healthy === 2, '2 healthy', 60_000);
    expect(new Set(v.instances.map((i) => i.host)).size).toBe(2);
    // What really runs: two serve processes, each on its host's port.
    await waitFor(() => total() === 2);
    const up = await listeners(v.instances.map((i) => ports[i.host as Host]));
    expect(up).toHaveLength(2);
    const r = await cli(['services', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ service: 'web', health: 'healthy', healthy: 2 }),
    ]);
    // Status reads the view the controller keeps in its memo: the listing shows it a moment later.
    await waitFor(
      async () => /web\s+healthy\s+2\/2/.test((await cli(['status', '--config', W('ha.yml')])).stdout),
      {
        timeoutMs: 10_000,
      },
    );
  });

  it('a killed instance is restarted in place and healthy again; the restart is in history with its reason', async () => {
    const v = await state();
    const inst = v.instances[0]!;
    const host = inst.host;
    const killedAt = Date.now();
    killHard(pidfile(host, inst.id));
    const back = await until(
      (x) =>
        x.instances.some(
          (i) => i.id === inst.id && i.state === 'healthy' && i.restartsTotal === inst.restartsTotal + 1,
        ),
      'restarted',
    );
    const took = Date.now() - killedAt;
    // failureThreshold × interval (1.5 s) + the program's start: printed, not asserted.
    console.log(`kill -> healthy again after ${took} ms (detection 3 × 500 ms)`);
    expect(hostOf(back, inst.id)).toBe(host);
    const h = await serviceHistory(client, 'web');
    const restart = h.filter((e) => e.what === 'restart' && e.instance === inst.id).at(-1)!;
    expect(restart.reason).toMatch(
      new RegExp(
        `^${host}: http http://127.0.0.1:\\$\\{SVC_PORT\\}/health: ECONNREFUSED \\(3 failures in a row, threshold 3\\); restart 1 of 2 within 1m$`,
      ),
    );
    await waitFor(() => total() === 2);
    const hist = await cli(['service', 'history', 'web']);
    expect(hist.stdout).toContain('restart 1 of 2 within 1m');
  });

  it('a probe that hangs past its timeout counts as a failure', async () => {
    const v = await state();
    const inst = v.instances[1]!;
    writeFileSync(`${pidfile(inst.host, inst.id)}.hang`, '');
    try {
      await waitFor(async () =>
        (await serviceHistory(client, 'web')).find(
          (e) =>
            e.what === 'unhealthy' && e.instance === inst.id && e.reason.includes('timed out after 400 ms'),
        ),
      );
    } finally {
      rmSync(`${pidfile(inst.host, inst.id)}.hang`, { force: true });
    }
    await until((x) => x.healthy === 2, '2 healthy again');
  });

  it('pause: a killed instance is not restarted until resume', async () => {
    const r = await cli(['service', 'pause', 'web', '--reason', 'upgrade']);
    expect(r.code).toBe(0);
    const v = await state();
    const inst = v.instances[0]!;
    killHard(pidfile(inst.host, inst.id));
    await until((x) => x.instances.some((i) => i.id === inst.id && i.state === 'unhealthy'), 'unhealthy');
    await sleep(3000);
    expect(readPid(pidfile(inst.host, inst.id))).not.toBeNull(); // the crashed one's file, nothing new
    expect(total()).toBe(1);
    expect((await state()).health).toBe('paused');
    expect((await cli(['service', 'resume', 'web'])).code).toBe(0);
    await until((x) => x.healthy === 2, '2 healthy after resume');
    await waitFor(() => total() === 2);
  });

  it('after N restarts within the window on one host, the instance moves', async () => {
    const v = await state();
    const inst = v.instances[0]!;
    const from = inst.host;
    for (let n = 1; ; n++) {
      const cur = await until(
        (x) => x.instances.some((i) => i.id === inst.id && i.state === 'healthy'),
        `healthy (round ${n})`,
      );
      if (hostOf(cur, inst.id) !== from) break;
      if (n > 4) throw new Error('did not move after 4 kills');
      killHard(pidfile(from, inst.id));
      await until(
        (x) => x.instances.some((i) => i.id === inst.id && (i.state !== 'healthy' || i.host !== from)),
        'noticed',
      );
    }
    const moved = await state();
    const to = hostOf(moved, inst.id);
    expect(to).not.toBe(from);
    // Spread: the two instances are on different hosts.
    expect(new Set(moved.instances.map((i) => i.host)).size).toBe(2);
    const h = await serviceHistory(client, 'web');
    expect(h.find((e) => e.what === 'move' && e.instance === inst.id)?.reason).toMatch(
      new RegExp(`^${from}: \\d restarts within 1m, moving to ${to}`),
    );
    await waitFor(() => total() === 2 && serving()[from] === 0);
    await waitFor(() =>
      hook.accepted().some((r) => r.body.alerts.some((a) => a.labels.alertname === 'ServiceMoved')),
    );
  });

  it("a host's worker is killed: its instance starts on the free host; back, what it left is stopped", async () => {
    const v = await until((x) => x.healthy === 2, '2 healthy');
    const victim = v.instances[0]!;
    const dead = victim.host as Host;
    const free = HOSTS.find((h) => !v.instances.some((i) => i.host === h))!;
    workers[dead]!.kill('SIGKILL');
    await workers[dead]!.exited;
    // Its process runs on (the worker is gone, not the host); it cannot be seen, so it is replaced.
    const moved = await until(
      (x) => x.instances.some((i) => i.id === victim.id && i.host === free && i.state === 'healthy'),
      `moved to ${free}`,
      60_000,
    );
    expect(moved.orphans).toEqual([expect.objectContaining({ instance: victim.id, host: dead })]);
    expect(serving()[free]).toBe(1);
    await startHost(dead);
    await until((x) => x.orphans.length === 0, 'left-behind stopped', 60_000);
    await waitFor(() => total() === 2 && serving()[dead] === 0);
    expect(new Set((await state()).instances.map((i) => i.host)).size).toBe(2);
  });

  it('a start command that always fails: backs off, tells degraded, says why; fixed, it recovers by itself', async () => {
    const since = Date.now();
    // Every host's start is refused while its fail file exists (the operator's broken start).
    for (const h of HOSTS) writeFileSync(W(h, 'fail'), 'disk full');
    const v = await state();
    const inst = v.instances[0]!;
    expect(killHard(pidfile(inst.host, inst.id))).not.toBeNull();
    const down = await until(
      (x) => x.instances.some((i) => i.id === inst.id && i.lastReason.includes('start refused: disk full')),
      'failing to start',
      60_000,
    );
    expect(down.health).toBe('degraded');
    await waitFor(
      () =>
        hook
          .accepted()
          .find(
            (r) =>
              r.at >= since &&
              r.body.alerts.some(
                (a) => a.labels.alertname === 'ServiceDegraded' && a.labels.service === 'web',
              ),
          ),
      { timeoutMs: 30_000 },
    );
    const r = await cli(['services']);
    expect(r.stdout).toContain('start refused: disk full');
    // Attempt after attempt (with backoff), and it never gives up.
    await waitFor(
      async () =>
        (await serviceHistory(client, 'web')).filter(
          (e) => e.what === 'start-failed' && Date.parse(e.at) >= since,
        ).length >= 3,
      { timeoutMs: 40_000 },
    );
    for (const h of HOSTS) rmSync(W(h, 'fail'));
    await until((x) => x.healthy === 2, '2 healthy after the fix', 60_000);
    await waitFor(() => total() === 2);
    await waitFor(() =>
      hook
        .accepted()
        .find(
          (r2) => r2.at >= since && r2.body.alerts.some((a) => a.labels.alertname === 'ServiceRecovered'),
        ),
    );
  });

  it('scale, and an apply that restores the config', async () => {
    expect((await cli(['service', 'scale', 'web', '3'])).code).toBe(0);
    await until((x) => x.healthy === 3, '3 healthy', 60_000);
    await waitFor(() => total() === 3 && Object.values(serving()).every((n) => n === 1));
    const bad = await cli(['service', 'scale', 'web', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a whole number from 0 to 1000, got "many"');
    expect((await cli(['apply', W('ha.yml')])).code).toBe(0);
    await until((x) => x.instances.length === 2 && x.healthy === 2, 'back to 2', 60_000);
    await waitFor(() => total() === 2);
  });
});
