// The reference for the DR benchmark: the same host activity as a DR command step, run N times
// back to back by a bare workflow — what Temporal itself costs per step on this server.
import { proxyActivities } from '@temporalio/workflow';
import type { DrActivities } from '../activities/dr';

export async function drReferenceWorkflow(input: {
  host: string;
  n: number;
  argv: string[];
}): Promise<number[]> {
  const { drCommand } = proxyActivities<DrActivities>({
    taskQueue: `ha-host-${input.host}`,
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  });
  const ends: number[] = [];
  for (let i = 0; i < input.n; i++) {
    await drCommand({
      command: { argv: input.argv, timeoutMs: 30_000, env: {}, shell: false },
      where: 'reference',
      vars: {},
    });
    ends.push(Date.now());
  }
  return ends;
}
