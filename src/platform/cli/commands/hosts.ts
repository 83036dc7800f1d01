// `hactl hosts`: the hosts whose worker is live right now.
import type { Command } from 'commander';
import type { LiveHost } from '../../hosts';
import { listLiveHosts } from '../../hosts';
import { printJson, printLines, withClient } from '../context';
import { formatSeconds } from '../../../core/format';
import { formatTable } from '../table';

/** The hosts table. Pure. */
export function renderHosts(hosts: LiveHost[]): string[] {
  if (hosts.length === 0) return ['No live host workers.'];
  return formatTable(
    ['HOST', 'VERSION', 'UPTIME', 'PID', 'MACHINE', 'LAST SEEN'],
    hosts.map((h) => [
      h.host + (h.workers > 1 ? ` (${h.workers} workers!)` : ''),
      h.version,
      formatSeconds(h.uptimeSeconds),
      String(h.pid ?? '-'),
      h.machine ?? '-',
      h.lastSeenAt,
    ]),
  );
}

export function register(program: Command): Command {
  return program
    .command('hosts')
    .description('list the hosts whose worker is live right now')
    .option('--json', 'print [{"host","version","uptimeSeconds",...}]')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const { hosts, source } = await listLiveHosts(client);
        if (opts.json) return printJson(hosts);
        printLines(renderHosts(hosts));
        if (source === 'pollers')
          console.error('(server has no worker heartbeats; liveness from pollers, up to ~1 minute stale)');
      });
    });
}
