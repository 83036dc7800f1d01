// What `hactl failover status|history|explain` and the failover part of `hactl status` print. Pure.
import { formatTable } from '../../platform/cli/table';
import type { FailoverEvent, GroupView } from '../model/types';

export function renderGroups(groups: readonly GroupView[]): string[] {
  if (!groups.length)
    return ['No failover groups (add them under "failover:" in the config and run hactl apply).'];
  const out: string[] = [];
  for (const g of groups) {
    if (out.length) out.push('');
    out.push(
      `${g.group}: ${g.state}, primary ${g.primary ?? '(none)'}, mode ${g.mode}${g.paused ? ', paused' : ''}`,
    );
    out.push(
      ...formatTable(
        ['NODE', 'HOST', 'ROLE', 'HEALTH', 'OBSERVERS', 'LAG', 'NOTE'],
        g.nodes.map((n) => [
          n.name,
          n.host,
          n.role,
          n.health,
          Object.entries(n.observers)
            .map(([h, o]) => `${h}:${o.healthy === null ? '?' : o.healthy ? 'ok' : 'failing'}`)
            .join(' ') || '-',
          n.lag === null ? '-' : String(n.lag),
          [
            n.fenced ? 'fenced' : '',
            ...Object.entries(n.observers)
              .filter(([, o]) => o.healthy === false)
              .map(([h, o]) => `${h}: ${o.detail}`),
          ]
            .filter(Boolean)
            .join('; '),
        ]),
      ).map((l) => `  ${l}`),
    );
    if (g.pendingSwitchover)
      out.push(
        `  switchover to ${g.pendingSwitchover.to} at ${g.pendingSwitchover.at} (by ${g.pendingSwitchover.by})`,
      );
    if (g.lastEvent) out.push(`  last: ${g.lastEvent.at} ${g.lastEvent.kind}: ${g.lastEvent.reason}`);
    out.push(`  now: ${g.explain}`);
  }
  return out;
}

const timings = (t: Record<string, number>): string =>
  Object.entries(t)
    .map(([k, v]) => `${k} ${v}ms`)
    .join(', ');

export function renderFailoverHistory(group: string, events: readonly FailoverEvent[]): string[] {
  if (!events.length) return [`No events for ${group} yet.`];
  return formatTable(
    ['TIME', 'KIND', 'FROM', 'TO', 'BY', 'TIMINGS', 'REASON'],
    events.map((e) => [
      e.at,
      e.kind,
      e.from ?? '-',
      e.to ?? '-',
      e.by ?? '-',
      timings(e.timings) || '-',
      e.reason,
    ]),
  );
}

/** Why the last decision was made, or why no failover happens now. */
export function renderExplain(g: GroupView): string[] {
  const lines = [`${g.group}: ${g.explain}`];
  const e = g.lastEvent;
  if (e) {
    lines.push(
      `last event: ${e.at} ${e.kind}${e.from ? ` from ${e.from}` : ''}${e.to ? ` to ${e.to}` : ''}: ${e.reason}`,
    );
    if (Object.keys(e.timings).length) lines.push(`  timings: ${timings(e.timings)}`);
    for (const c of e.candidates)
      lines.push(
        `  candidate ${c.node}: ${c.eligible ? `eligible (score ${c.score}, ${c.why})` : `not eligible: ${c.why}`}`,
      );
  }
  return lines;
}

export function renderFailoverStatus(groups: readonly GroupView[] | null): string[] {
  if (!groups || !groups.length) return [];
  return formatTable(
    ['FAILOVER GROUP', 'STATE', 'PRIMARY', 'NODES', 'LAST'],
    groups.map((g) => [
      g.group,
      g.state,
      g.primary ?? '-',
      g.nodes.map((n) => `${n.name}:${n.role}/${n.health}`).join(' '),
      g.lastEvent ? `${g.lastEvent.kind} ${g.lastEvent.at}` : '-',
    ]),
  );
}
