// The fixture service of the redundancy tests behaves as those tests assume: idempotent start,
// refused start while the fail file exists, status/stop by pid file, sick and hanging health.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  freePorts,
  killHard,
  listeners,
  pidAlive,
  processesOf,
  readPid,
  serviceCommands,
  SVC_SCRIPT,
} from '../helpers/service';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const svc = (...args: string[]) => run([process.execPath, SVC_SCRIPT, ...args]);

/** Status code and body of GET /health, or 'timeout'. */
function health(port: number, timeoutMs = 1000): Promise<{ status: number; body: string } | 'timeout'> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', reject);
  });
}

let dir: string;
let ports: number[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'svc-fixture-'));
  ports = await freePorts(2);
});

afterAll(async () => {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.pid')))
    await svc('stop', '--pidfile', path.join(dir, f));
  for (const pid of processesOf(dir)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('fixture service svc.js', () => {
  it('freePorts gives distinct ports nobody listens on', async () => {
    expect(new Set(ports).size).toBe(2);
    expect(await listeners(ports)).toEqual([]);
  });

  it('starts once, reports status, stops', async () => {
    const [port] = ports as [number];
    const pidfile = path.join(dir, 'a.pid');
    const start = ['start', '--port', String(port), '--pidfile', pidfile, '--log', path.join(dir, 'a.log')];

    expect(await svc(...start)).toMatchObject({ code: 0 });
    expect(await listeners(ports)).toEqual([port]);
    const pid = readPid(pidfile)!;
    expect(pidAlive(pid)).toBe(true);
    expect(processesOf(pidfile)).toEqual([pid]);
    expect(await svc('status', '--pidfile', pidfile)).toMatchObject({ code: 0 });
    expect(await health(port)).toEqual({ status: 200, body: 'ok' });

    const again = await svc(...start);
    expect(again).toMatchObject({ code: 0, stdout: `already running (pid ${pid})\n` });
    expect(processesOf(pidfile)).toEqual([pid]);

    expect(await svc('stop', '--pidfile', pidfile)).toMatchObject({ code: 0 });
    expect(await svc('status', '--pidfile', pidfile)).toMatchObject({ code: 3 });
    expect(readPid(pidfile)).toBeNull();
    expect(pidAlive(pid)).toBe(false);
    expect(processesOf(pidfile)).toEqual([]);
    expect(await listeners([port])).toEqual([]);
    expect(await svc('stop', '--pidfile', pidfile)).toMatchObject({ code: 0 });
  });

  it('refuses to start while the fail file exists, starts once it is gone', async () => {
    const [, port] = ports as [number, number];
    const cmds = serviceCommands({ dir, port });
    const argv = (a: string[]) => a.map((s) => s.replace('${HA_INSTANCE}', 'b'));
    const pidfile = path.join(dir, 'b.pid');
    expect(cmds.start.argv).toContain(path.join(dir, '${HA_INSTANCE}.pid'));

    writeFileSync(path.join(dir, 'fail'), 'disk full\n');
    expect(await run(argv(cmds.start.argv))).toMatchObject({ code: 3, stderr: 'start refused: disk full\n' });
    expect(readPid(pidfile)).toBeNull();
    expect(processesOf(pidfile)).toEqual([]);
    expect(await run(argv(cmds.status.argv))).toMatchObject({ code: 3 });

    rmSync(path.join(dir, 'fail'));
    expect(await run(argv(cmds.start.argv))).toMatchObject({ code: 0 });
    expect(await run(argv(cmds.status.argv))).toMatchObject({ code: 0 });
    expect(processesOf(pidfile)).toHaveLength(1);

    // Health: sick while <pidfile>.sick exists, no answer while <pidfile>.hang exists.
    writeFileSync(`${pidfile}.sick`, '');
    expect(await health(port)).toEqual({ status: 500, body: 'sick' });
    rmSync(`${pidfile}.sick`);
    writeFileSync(`${pidfile}.hang`, '');
    expect(await health(port, 300)).toBe('timeout');
    rmSync(`${pidfile}.hang`);
    expect(await health(port)).toEqual({ status: 200, body: 'ok' });

    // A crash leaves the pid file; status says not running and start starts a new process.
    const pid = killHard(pidfile)!;
    expect(pidAlive(pid)).toBe(false);
    expect(readPid(pidfile)).toBe(pid);
    expect(await run(argv(cmds.status.argv))).toMatchObject({ code: 3 });
    expect(await run(argv(cmds.start.argv))).toMatchObject({ code: 0 });
    expect(readPid(pidfile)).not.toBe(pid);
    expect(processesOf(pidfile)).toHaveLength(1);

    expect(await run(argv(cmds.stop.argv))).toMatchObject({ code: 0 });
    expect(processesOf(pidfile)).toEqual([]);
    expect(await listeners([port])).toEqual([]);
  });
});
