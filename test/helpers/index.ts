// Helpers for tests that use the real server, real worker processes and the real CLI.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { namespaceForFile, readState, ROOT } from '../setup/shared';

export { ROOT };
export const HACTL = path.join(ROOT, 'bin', 'hactl.js');

export interface TestEnv {
  address: string;
  namespace: string;
  temporalCli: string;
  /** Environment for child processes: connection and prebuilt workflow bundle. */
  env: NodeJS.ProcessEnv;
}

export function testEnv(testFile: string): TestEnv {
  const state = readState();
  const namespace = namespaceForFile(testFile);
  return {
    address: state.address,
    namespace,
    temporalCli: state.temporalCli,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: state.address,
      TEMPORAL_NAMESPACE: namespace,
      HA_WORKFLOW_BUNDLE: state.workflowBundle,
      // Each test file's workers keep their host state apart from the others' and the user's.
      HA_STATE_DIR: path.join(ROOT, '.data', 'test', 'state', namespace),
      // Never let a developer's own Temporal profile leak into tests.
      TEMPORAL_CONFIG_FILE: path.join(os.tmpdir(), 'ha-orchestrator-no-such-temporal.toml'),
    },
  };
}

export async function connect(env: TestEnv): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: env.address });
  return { client: new Client({ connection, namespace: env.namespace }), close: () => connection.close() };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `hactl ...args` to completion. */
export function hactl(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HACTL, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hactl ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface WorkerProcess {
  host: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
  stop(): Promise<number | string>;
}

/**
 * Starts `hactl worker --host <host>` and waits until it polls. It runs workflows too unless
 * `workflows: false` (a host worker of a fleet).
 */
export async function startWorker(
  env: TestEnv,
  host: string,
  extraArgs: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
  opts: {
    workflows?: boolean;
    /** What runs hactl instead of `node bin/hactl.js` (e.g. inside a network namespace). */
    wrap?: string[];
  } = {},
): Promise<WorkerProcess> {
  const [cmd, ...pre] = opts.wrap ?? [process.execPath, HACTL];
  const args = [...pre, 'worker', '--host', host, ...(opts.workflows === false ? [] : ['--workflows'])];
  const child = spawn(cmd!, [...args, ...extraArgs], {
    cwd: ROOT,
    env: { ...env.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  await waitFor(() => out.includes('worker ready'), {
    timeoutMs: 60_000,
    message: () => `worker ${host} did not become ready:\n${out}`,
    failIf: () => (child.exitCode !== null ? `worker ${host} exited early:\n${out}` : undefined),
  });
  const proc: WorkerProcess = {
    host,
    pid: child.pid!,
    child,
    output: () => out,
    exited,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: async () => {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 40_000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
  return proc;
}

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  opts: {
    timeoutMs?: number;
    intervalMs?: number;
    message?: () => string;
    failIf?: () => string | undefined;
  } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastErr: unknown;
  for (;;) {
    const fatal = opts.failIf?.();
    if (fatal) throw new Error(fatal);
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = opts.message?.() ?? 'condition not met';
      throw new Error(
        `${why}${lastErr ? ` (last error: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ha-${prefix}-`));
  // Retries: a process that was just stopped may still be writing its last files.
  return {
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }),
  };
}

export function writeConfig(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
