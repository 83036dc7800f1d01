// `hactl dev` (what `npm start` runs) as a real process tree: server with a SQLite file and the
// Web UI, a worker, the config applied; Ctrl-C leaves nothing behind; state survives a restart.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort } from '../../src/platform/temporal/dev-server';
import { hactl, HACTL, ROOT, tempDir, testEnv, waitFor, writeConfig } from '../helpers';

const env = testEnv(__filename);
const dir = tempDir('dev');
const config = writeConfig(
  dir.dir,
  'ha.yml',
  'version: 1\nhosts:\n  - name: devbox\nhealth:\n  interval: 3s\n  timeout: 2s\n',
);
const db = path.join(dir.dir, 'state', 'temporal.db');

const started: Dev[] = [];
afterEach(() => {
  // A failed test must not leave a server holding the ports for the next one.
  for (const d of started.splice(0)) {
    if (d.child.exitCode === null) {
      for (const p of descendants(d.child.pid!)) if (alive(p)) process.kill(p, 'SIGKILL');
      d.child.kill('SIGKILL');
    }
  }
});
afterAll(() => dir.cleanup());

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead for our purposes.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

function withoutConnectionEnv(): NodeJS.ProcessEnv {
  const e = { ...env.env };
  delete e.TEMPORAL_ADDRESS;
  delete e.TEMPORAL_NAMESPACE;
  return e;
}

interface Dev {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function startDev(port: number, uiPort: number): Dev {
  // detached: its own process group, so that we can send Ctrl-C to the whole group like a terminal.
  const child = spawn(
    process.execPath,
    [HACTL, 'dev', '--config', config, '--port', String(port), '--ui-port', String(uiPort), '--db', db],
    {
      cwd: ROOT,
      env: withoutConnectionEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const dev = { child, out: () => out, exited };
  started.push(dev);
  return dev;
}

describe('hactl dev', () => {
  let port: number;
  let uiPort: number;

  beforeAll(async () => {
    port = await freePort();
    uiPort = await freePort();
  });

  it('brings up server, Web UI, worker and schedules; Ctrl-C stops every process', async () => {
    const dev = startDev(port, uiPort);
    await waitFor(() => dev.out().includes('Press Ctrl-C to stop.'), {
      timeoutMs: 90_000,
      message: () => dev.out(),
      failIf: () => (dev.child.exitCode !== null ? `dev exited early:\n${dev.out()}` : undefined),
    });
    expect(dev.out()).toContain(`Temporal Web UI:  http://127.0.0.1:${uiPort}`);
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/<html/i);

    const address = `127.0.0.1:${port}`;
    await waitFor(() =>
      execFileSync(env.temporalCli, ['schedule', 'list', '--address', address, '-o', 'json'], {
        encoding: 'utf8',
      }).includes('health:snapshots'),
    );
    const cliEnv = { ...env.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default' };
    const s = await waitFor(
      async () => {
        const r = await hactl(['status', '--json', '--config', config], { env: cliEnv });
        const rep = JSON.parse(r.stdout);
        return rep.hosts[0]?.state === 'up' ? rep : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(s.hosts[0].host).toBe('devbox');
    // The first worker heartbeat arrives within one heartbeat interval (5s).
    const hosts = await waitFor(
      async () => {
        const h = JSON.parse((await hactl(['hosts', '--json'], { env: cliEnv })).stdout) as Array<{
          host: string;
        }>;
        return h.length ? h : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(hosts.map((h) => h.host)).toEqual(['devbox']);

    const tree = descendants(dev.child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(2); // temporal server + worker
    process.kill(-dev.child.pid!, 'SIGINT'); // what a terminal does on Ctrl-C
    expect(await dev.exited).toBe(0);
    await waitFor(() => tree.every((p) => !alive(p)), {
      timeoutMs: 15_000,
      message: () => `left behind: ${tree.filter(alive).join(', ')}`,
    });
  });

  it('keeps schedules and history in the SQLite file across a restart', async () => {
    const dev = startDev(port, uiPort);
    await waitFor(() => dev.out().includes('Press Ctrl-C to stop.'), {
      timeoutMs: 90_000,
      message: () => dev.out(),
    });
    expect(dev.out()).toContain('0 created, 0 updated, 0 deleted, 2 unchanged');
    const address = `127.0.0.1:${port}`;
    const history = execFileSync(
      env.temporalCli,
      [
        'workflow',
        'list',
        '--address',
        address,
        '--query',
        "WorkflowType = 'healthSnapshotWorkflow'",
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(history || '[]').length).toBeGreaterThan(0);
    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
  });

  it('a busy port is a clear error naming the port and how to change it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await hactl(
        ['dev', '--config', config, '--port', String(port), '--ui-port', String(uiPort), '--db', db],
        { env: env.env },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${port} (Temporal gRPC) is already in use on 127.0.0.1`);
      expect(r.stderr).toContain('--port N or HA_TEMPORAL_PORT=N');
    } finally {
      blocker.close();
    }
  });

  it('an invalid config stops dev before anything starts (exit 2)', async () => {
    const bad = writeConfig(dir.dir, 'bad.yml', 'version: 1\nhosts: []\n');
    const r = await hactl(
      ['dev', '--config', bad, '--port', String(port), '--ui-port', String(uiPort), '--db', db],
      { env: env.env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2:8  hosts  at least one host is required`);
  });
});
