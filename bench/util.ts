// Shared helpers for benchmarks: CPU of this process plus its reaped children, and stats.
import { spawnSync } from 'node:child_process';
import { processTreeCpuMs } from '../activities/health/cpu';

export interface Sample {
  wallMs: number;
  cpuMs: number;
}

export async function measure(fn: () => Promise<unknown> | unknown): Promise<Sample> {
  const c0 = processTreeCpuMs();
  const t0 = performance.now();
  await fn();
  return { wallMs: performance.now() - t0, cpuMs: processTreeCpuMs() - c0 };
}

/** Runs a command to completion; its CPU shows up in our children's time. */
export function runCommand(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): void {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    stdio: ['pipe', 'ignore', 'pipe'],
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}
