// What `hactl alerts`, `hactl silence` and the alerts part of `hactl status` print. Pure.
import { formatTable } from '../../platform/cli/table';
import { formatMatcher } from '../model/labels';
import type { Silence } from '../model/types';
import type { AlertView, NotifierView } from '../../../workflows/alerts/messages';

function note(a: AlertView): string {
  return [
    a.flapping ? 'flapping' : '',
    a.silencedBy.length ? `silenced (${a.silencedBy.join(', ')})` : '',
    a.inhibitedBy.length ? 'inhibited' : '',
    a.ack ? `acked by ${a.ack.by}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

const ORDER = { firing: 0, pending: 1, resolved: 2 } as const;

export function renderAlerts(alerts: AlertView[]): string[] {
  if (alerts.length === 0) return ['No alerts.'];
  const sorted = [...alerts].sort(
    (a, b) =>
      ORDER[a.state] - ORDER[b.state] || (a.labels.alertname ?? '').localeCompare(b.labels.alertname ?? ''),
  );
  const extra = (a: AlertView): string =>
    Object.entries(a.labels)
      .filter(([k]) => !['alertname', 'host', 'severity', 'ha_metric'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  return formatTable(
    ['STATE', 'ALERT', 'HOST', 'SEVERITY', 'VALUE', 'SINCE', 'FINGERPRINT', 'NOTE'],
    sorted.map((a) => [
      a.state,
      a.labels.alertname + (extra(a) ? ` {${extra(a)}}` : ''),
      a.labels.host ?? '-',
      a.labels.severity ?? '-',
      a.value === null ? '-' : String(Math.round(a.value * 100) / 100),
      a.state === 'resolved' ? `resolved ${a.endsAt ?? ''}` : a.startsAt,
      a.fingerprint,
      note(a),
    ]),
  );
}

export function renderSilences(silences: Silence[]): string[] {
  if (silences.length === 0) return ['No silences.'];
  return formatTable(
    ['ID', 'MATCHERS', 'ENDS', 'BY', 'STATE', 'COMMENT'],
    silences.map((s) => [
      s.id,
      s.matchers.map(formatMatcher).join(','),
      s.untilResolved ? `${s.endsAt} or on resolve` : s.endsAt,
      s.createdBy,
      s.expiredAt ? `ended ${s.expiredAt}` : 'active',
      s.comment,
    ]),
  );
}

export interface AlertsStatus {
  firing: AlertView[];
  pending: number;
  silences: number;
  receivers: NotifierView[];
}

export function renderAlertsStatus(s: AlertsStatus | null): string[] {
  if (!s) return [];
  const lines =
    s.firing.length === 0
      ? [`ALERTS: none firing (${s.pending} pending, ${s.silences} active silence(s))`]
      : [
          `ALERTS: ${s.firing.length} firing, ${s.pending} pending, ${s.silences} active silence(s)`,
          ...renderAlerts(s.firing),
        ];
  if (s.receivers.length) {
    lines.push(
      '',
      ...formatTable(
        ['RECEIVER', 'QUEUED', 'DELIVERED', 'DROPPED', 'LAST DELIVERED', 'LAST ERROR'],
        s.receivers.map((r) => [
          r.receiver,
          String(r.queued),
          String(r.delivered),
          String(r.dropped),
          r.lastDeliveredAt ?? '-',
          r.lastError ?? '',
        ]),
      ),
    );
  }
  return lines;
}
