// What placement and target selection see of the hosts: each host monitor's state and latest
// snapshot (health's monitor:<host> controllers), read with the worker's own client.
import type { Client } from '@temporalio/client';
import { hostState } from '../../src/health/client';
import type { HostLoad } from '../../src/health/model/types';

export async function hostLoads(
  client: Client,
  hosts: readonly string[],
  maintenance: readonly string[],
): Promise<HostLoad[]> {
  return Promise.all(
    hosts.map(async (host): Promise<HostLoad> => {
      const inMaintenance = maintenance.includes(host);
      try {
        const s = await hostState(client, host);
        const snap = s.lastSnapshot;
        return {
          host,
          up: s.state !== 'down',
          maintenance: inMaintenance,
          cpu: snap ? snap.cpu.loadPercent : null,
          memory: snap ? snap.memory.usedPercent : null,
        };
      } catch {
        // No monitor (health not running for it yet): up as far as we know, load unknown.
        return { host, up: true, maintenance: inMaintenance, cpu: null, memory: null };
      }
    }),
  );
}
