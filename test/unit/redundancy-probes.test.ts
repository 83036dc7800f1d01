// Probes and the probe watch on real sockets and processes: HTTP status and body, TCP, commands,
// a hang past the timeout, thresholds, and idempotent starts through the host journal.
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startInstance, stopInstance } from '../../activities/redundancy/act';
import { runProbe } from '../../activities/shared/probes';
import { probeRole } from '../../activities/failover/observe';
import { watchInstance } from '../../activities/redundancy/watch';
import type { ProbeSpec, ProbeTiming } from '../../src/redundancy/model/types';

const timing: ProbeTiming = {
  intervalMs: 50,
  timeoutMs: 300,
  failureThreshold: 3,
  successThreshold: 2,
  initialDelayMs: 0,
};
let server: Server;
let port = 0;
let answer: { status: number; body: string; hang?: boolean } = { status: 200, body: 'ok' };
const ctx = { host: 'alpha', env: { ...process.env, PORT_UNDER_TEST: '' } };

beforeAll(async () => {
  server = createServer((_req, res) => {
    if (answer.hang) return; // never answers
    res.writeHead(answer.status).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  ctx.env.PORT_UNDER_TEST = String(port);
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

const http = (extra: Partial<Extract<ProbeSpec, { type: 'http' }>> = {}): ProbeSpec => ({
  type: 'http',
  url: 'http://127.0.0.1:${PORT_UNDER_TEST}/health',
  expectStatus: [],
  bodyContains: null,
  ...timing,
  ...extra,
});

describe('probes', () => {
  it.each([
    [{ status: 200, body: 'ok' }, {}, { ok: true, detail: 'HTTP 200' }],
    [{ status: 302, body: '' }, {}, { ok: true, detail: 'HTTP 302' }],
    [{ status: 500, body: 'sick' }, {}, { ok: false, detail: 'HTTP 500' }],
    [{ status: 503, body: '' }, { expectStatus: [503] }, { ok: true, detail: 'HTTP 503' }],
    [
      { status: 200, body: 'degraded' },
      { bodyContains: 'ok' },
      { ok: false, detail: 'HTTP 200, body without "ok"' },
    ],
    [{ status: 200, body: 'all ok' }, { bodyContains: 'ok' }, { ok: true, detail: 'HTTP 200' }],
    [{ status: 200, body: '', hang: true }, {}, { ok: false, detail: 'timed out after 300 ms' }],
  ])('http answering %j with %j: %j', async (a, extra, want) => {
    answer = a;
    expect(await runProbe(http(extra), ctx)).toEqual(want);
  });

  it('tcp: connected, and refused', async () => {
    expect(await runProbe({ type: 'tcp', address: `127.0.0.1:${port}`, ...timing }, ctx)).toEqual({
      ok: true,
      detail: 'connected',
    });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await runProbe({ type: 'tcp', address: `127.0.0.1:${free}`, ...timing }, ctx)).toEqual({
      ok: false,
      detail: 'ECONNREFUSED',
    });
  });

  it('leaves nothing on the watch signal: a watch probes for hours under one signal', async () => {
    const watch = new AbortController();
    const signal = watch.signal;
    answer = { status: 200, body: 'primary' };
    for (let i = 0; i < 20; i++) {
      await runProbe(http(), { ...ctx, signal });
      await runProbe({ type: 'tcp', address: `127.0.0.1:${port}`, ...timing }, { ...ctx, signal });
      expect(await probeRole(http(), { ...ctx, signal })).toBe('primary');
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // A probe in flight still ends at once when the watch is cancelled.
    answer = { status: 200, body: '', hang: true };
    const pending = runProbe(http({ timeoutMs: 60_000 }), { ...ctx, signal });
    await new Promise((r) => setTimeout(r, 50));
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    watch.abort();
    expect(await pending).toEqual({ ok: false, detail: 'cancelled' });
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('command: exit 0, a failure with its stderr, and a hang killed at the probe timeout', async () => {
    const c = (argv: string[]): ProbeSpec => ({
      type: 'command',
      command: { argv, timeoutMs: 60_000, env: {}, shell: false },
      ...timing,
    });
    expect(await runProbe(c(['true']), ctx)).toEqual({ ok: true, detail: 'exit 0' });
    expect(await runProbe(c(['sh', '-c', 'echo broken >&2; exit 4']), ctx)).toEqual({
      ok: false,
      detail: 'exit 4: broken',
    });
    const t0 = Date.now();
    expect(await runProbe(c(['sleep', '30']), ctx)).toEqual({ ok: false, detail: 'timed out after 300 ms' });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('the probe watch', () => {
  const watch = (believed: 'starting' | 'healthy' | 'unhealthy', renewAfterMs = 30_000) =>
    watchInstance(
      { service: 'web', instance: 'web-1', probes: [http()], believed, startedAt: null, renewAfterMs },
      { host: 'alpha', env: ctx.env },
    );

  it('reports a healthy instance going bad after failureThreshold failures, with the reason', async () => {
    answer = { status: 500, body: '' };
    const r = await watch('healthy');
    expect(r).toMatchObject({
      healthy: false,
      reason: 'http http://127.0.0.1:${PORT_UNDER_TEST}/health: HTTP 500 (3 failures in a row, threshold 3)',
    });
  });

  it('reports recovery after successThreshold successes; a starting instance is decided either way', async () => {
    answer = { status: 200, body: 'ok' };
    expect(await watch('unhealthy')).toMatchObject({ healthy: true });
    expect(await watch('starting')).toMatchObject({ healthy: true });
  });

  it('returns nothing (renew) while nothing changes', async () => {
    answer = { status: 200, body: 'ok' };
    expect(await watch('healthy', 400)).toBeNull();
  });
});

describe('idempotent start', () => {
  it('a start that finds the instance running (by its status command) runs nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-svc-'));
    try {
      const marker = path.join(dir, 'running');
      const count = path.join(dir, 'starts');
      const input = {
        service: 'web',
        instance: 'web-1',
        generation: 1,
        start: {
          argv: ['sh', '-c', `echo x >> ${count}; touch ${marker}`],
          timeoutMs: 5000,
          env: {},
          shell: false,
        },
        stop: { argv: ['rm', '-f', marker], timeoutMs: 5000, env: {}, shell: false },
        status: { argv: ['test', '-e', marker], timeoutMs: 5000, env: {}, shell: false },
        probes: [],
      };
      const deps = { host: 'alpha', env: process.env, stateDir: dir };
      expect(await startInstance(input, deps)).toMatchObject({ outcome: 'started' });
      // A retried attempt of the same generation: nothing is run again.
      expect(await startInstance(input, deps)).toEqual({
        outcome: 'running',
        detail: `already started by an earlier attempt (\`test -e ${marker}\` exit 0)`,
      });
      expect(await startInstance({ ...input, generation: 2 }, deps)).toMatchObject({ outcome: 'running' });
      await stopInstance(input, deps);
      expect(await startInstance({ ...input, generation: 3 }, deps)).toMatchObject({ outcome: 'started' });
      expect(readFileSync(count, 'utf8')).toBe('x\nx\n');
      // A failing start says what the command printed.
      await stopInstance(input, deps);
      await expect(
        startInstance(
          { ...input, start: { ...input.start, argv: ['sh', '-c', 'echo "port in use" >&2; exit 3'] } },
          deps,
        ),
      ).rejects.toThrow(/start of web-1 on alpha failed: `sh -c .*` exited with status 3: port in use/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
