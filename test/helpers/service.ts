// Helpers for the service-redundancy tests: drive the fixture service (test/fixtures/service/svc.js)
// and check what really runs, with the kernel's view (ports, /proc) rather than the tool's report.
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort } from '../../src/platform/temporal/dev-server';
import { ROOT } from '../setup/shared';

/** The fixture service program (tests run compiled from dist/, so it is found from the repo root). */
export const SVC_SCRIPT = path.join(ROOT, 'test', 'fixtures', 'service', 'svc.js');

/** n distinct ports that are free on 127.0.0.1 right now. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < n; tries++) {
    if (tries > n * 20) throw new Error(`could not find ${n} distinct free ports`);
    ports.add(await freePort());
  }
  return [...ports];
}

/** True if the process exists and is not a zombie (orphans may never be reaped in a container). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = procState(pid);
  return state !== null && state !== 'Z';
}

/** The pid in a pid file, or null if there is no such file or no pid in it. */
export function readPid(pidfile: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(pidfile, 'utf8'), 10);
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Which of these ports accept a TCP connection on 127.0.0.1 right now (500 ms each, in parallel). */
export async function listeners(ports: number[]): Promise<number[]> {
  const open = await Promise.all(ports.map((port) => accepts(port, 500)));
  return ports.filter((_, i) => open[i]);
}

/**
 * Pids of the live (non-zombie) processes whose command line contains `marker`, read from /proc.
 * Every instance's command line holds its own pid file path, so that path counts its processes;
 * note that a start/stop/status command of that instance also matches while it runs.
 */
export function processesOf(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // exited meanwhile
    }
    if (!cmdline.includes(marker)) continue;
    const state = procState(pid);
    if (state !== null && state !== 'Z') pids.push(pid);
  }
  return pids;
}

/**
 * Crashes the instance of this pid file: SIGKILL, waiting (up to 2 s) until it is gone. The pid file
 * stays, as after a real crash. Returns the pid, or null if the file names none.
 */
export function killHard(pidfile: string): number | null {
  const pid = readPid(pidfile);
  if (pid === null) return null;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return pid; // already gone
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + 2000; pidAlive(pid) && Date.now() < deadline;) {
    Atomics.wait(pause, 0, 0, 10);
  }
  return pid;
}

export interface ServiceCommand {
  argv: string[];
  timeout: string;
}

export interface ServiceCommands {
  start: ServiceCommand;
  stop: ServiceCommand;
  status: ServiceCommand;
}

/**
 * The start/stop/status commands of the fixture service, ready for a test config. The files live in
 * `dir`: `<name>.pid`, `<name>.log` and one `fail` file for all instances (while it exists, every
 * start is refused with its contents). `<name>` is the literal `${HA_INSTANCE}`, which the
 * orchestrator resolves on the host (or `svc` with `instanceVar: false`); `port` may be a literal
 * placeholder too, such as '${SVC_PORT}'. `delayMs` makes the program slow to start listening.
 */
export function serviceCommands(opts: {
  dir: string;
  port: number | string;
  instanceVar?: boolean;
  delayMs?: number;
}): ServiceCommands {
  const name = opts.instanceVar === false ? 'svc' : '${HA_INSTANCE}';
  const pidfile = path.join(opts.dir, `${name}.pid`);
  const svc = (args: string[], timeout: string): ServiceCommand => ({
    argv: [process.execPath, SVC_SCRIPT, ...args],
    timeout,
  });
  const delay = opts.delayMs === undefined ? [] : ['--delay-ms', String(opts.delayMs)];
  return {
    start: svc(
      [
        'start',
        '--port',
        String(opts.port),
        '--pidfile',
        pidfile,
        '--log',
        path.join(opts.dir, `${name}.log`),
        '--fail-file',
        path.join(opts.dir, 'fail'),
        ...delay,
      ],
      '15s',
    ),
    stop: svc(['stop', '--pidfile', pidfile], '10s'),
    status: svc(['status', '--pidfile', pidfile], '5s'),
  };
}

function accepts(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The state letter of /proc/<pid>/stat (R, S, Z, ...), or null if there is no such process. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null;
  } catch {
    return null;
  }
}
