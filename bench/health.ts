// Cost of one host health snapshot, against the cheapest shell pipeline that reads the same
// kernel sources (the reference a hand-rolled monitoring script would use).
import { createHealthCollector } from '../activities/health/collector';
import type { Sample } from './util';
import { fmt, mean, measure, median, runCommand } from './util';

export interface HealthBenchResult {
  snapshots: number;
  ours: { cpuMsMean: number; cpuMsMedian: number; wallMsMedian: number };
  reference: { cpuMsMean: number; wallMsMedian: number; command: string };
  cpuRatio: number;
  targetCpuMs: number;
  pass: boolean;
}

const REFERENCE =
  "cat /proc/stat /proc/meminfo /proc/loadavg /proc/net/dev >/dev/null; df -P -k >/dev/null; ls /proc | grep -c '^[0-9]' >/dev/null; cat /proc/net/tcp /proc/net/tcp6 | wc -l >/dev/null";

/**
 * Between samples: longer than systeminformation's own caches (200 ms for the CPU load, 500 ms
 * for the traffic figures), which made back-to-back samples skip the work a real snapshot does
 * (a health interval is a second or more).
 */
const PAUSE_MS = 600;

export async function benchHealth(n = 40): Promise<HealthBenchResult> {
  const collector = createHealthCollector({ host: 'bench' });
  await collector.prime();
  await collector.collect(); // warm up modules and caches
  const ours: Sample[] = [];
  const ref: Sample[] = [];
  for (let i = 0; i < n; i++) {
    // Interleaved, so that both see the same machine conditions.
    ours.push(await measure(() => collector.collect()));
    ref.push(await measure(() => runCommand('sh', ['-c', REFERENCE])));
    await new Promise((r) => setTimeout(r, PAUSE_MS));
  }
  const cpu = ours.map((s) => s.cpuMs);
  const result: HealthBenchResult = {
    snapshots: n,
    ours: { cpuMsMean: mean(cpu), cpuMsMedian: median(cpu), wallMsMedian: median(ours.map((s) => s.wallMs)) },
    reference: {
      cpuMsMean: mean(ref.map((s) => s.cpuMs)),
      wallMsMedian: median(ref.map((s) => s.wallMs)),
      command: REFERENCE,
    },
    cpuRatio: mean(cpu) / Math.max(0.001, mean(ref.map((s) => s.cpuMs))),
    targetCpuMs: 100,
    pass: mean(cpu) < 100,
  };
  return result;
}

export function printHealth(r: HealthBenchResult): void {
  console.log(`health snapshot (${r.snapshots} samples, CPU includes child processes):`);
  console.log(
    `  ours:      ${fmt(r.ours.cpuMsMean)} ms CPU mean, ${fmt(r.ours.cpuMsMedian)} ms median, ${fmt(r.ours.wallMsMedian)} ms wall median`,
  );
  console.log(
    `  reference: ${fmt(r.reference.cpuMsMean)} ms CPU mean, ${fmt(r.reference.wallMsMedian)} ms wall median  (sh pipeline over /proc + df)`,
  );
  console.log(
    `  ratio ours/reference CPU: ${fmt(r.cpuRatio, 2)}x; target < ${r.targetCpuMs} ms CPU per snapshot: ${r.pass ? 'PASS' : 'FAIL'}`,
  );
}
