// What `hactl services`, `hactl service history` and the services part of `hactl status`
// print. Pure.
import { formatAge } from '../../core/format';
import { formatTable } from '../../platform/cli/table';
import type { HistoryEntry, ServiceView } from '../model/types';

const age = (iso: string, now: number): string => formatAge(Math.max(0, (now - Date.parse(iso)) / 1000));

/** One block per service: a summary line, then its instances. */
export function renderServices(services: readonly ServiceView[], now: number): string[] {
  if (!services.length)
    return ['No services (add them under "services:" in the config and run hactl apply).'];
  const out: string[] = [];
  for (const s of services) {
    if (out.length) out.push('');
    const scaled = s.scaledTo !== null ? ` (scaled from ${s.minInstances} until the next apply)` : '';
    out.push(
      `${s.service}: ${s.health}, ${s.healthy}/${s.desired} healthy${scaled}${s.paused ? ' — paused: no actions' : ''}`,
    );
    if (s.instances.length)
      out.push(
        ...formatTable(
          ['INSTANCE', 'HOST', 'STATE', 'SINCE', 'RESTARTS', 'LAST REASON'],
          s.instances.map((i) => [
            i.id,
            i.host,
            i.state,
            age(i.since, now),
            String(i.restartsTotal),
            i.lastReason,
          ]),
        ).map((l) => `  ${l}`),
      );
    for (const o of s.orphans)
      out.push(
        `  left behind: ${o.instance} on ${o.host} since ${o.since} (stopped when its worker is back)`,
      );
    out.push(`  last: ${s.lastReason}`);
  }
  return out;
}

export function renderHistory(service: string, entries: readonly HistoryEntry[]): string[] {
  if (!entries.length) return [`No history for ${service} yet.`];
  return formatTable(
    ['TIME', 'WHAT', 'INSTANCE', 'HOST', 'REASON'],
    entries.map((e) => [e.at, e.what, e.instance ?? '-', e.host ?? '-', e.reason]),
  );
}

/** The services section of `hactl status`: one line each; nothing when there are none. */
export function renderServicesStatus(services: readonly ServiceView[] | null): string[] {
  if (!services || !services.length) return [];
  return formatTable(
    ['SERVICE', 'HEALTH', 'HEALTHY', 'INSTANCES', 'LAST'],
    services.map((s) => [
      s.service,
      s.paused ? 'paused' : s.health,
      `${s.healthy}/${s.desired}`,
      s.instances.map((i) => `${i.host}:${i.state}`).join(' ') || '-',
      s.lastReason,
    ]),
  );
}
