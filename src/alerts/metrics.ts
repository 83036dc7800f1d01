// Alerts' part of the state metrics (`hactl metrics-server`), from the alert manager's view and
// each receiver's notifier. Pure.
import type { MetricFamily } from '../platform/metrics/exposition';
import type { AlertsStatus } from './cli/render';

const SEVERITIES = ['info', 'warning', 'critical'];

export function alertsMetrics(s: AlertsStatus | null | undefined): MetricFamily[] {
  const firing = new Map<string, number>();
  if (s) {
    for (const sev of SEVERITIES) firing.set(sev, 0);
    for (const a of s.firing) {
      const sev = a.labels.severity ?? 'none';
      firing.set(sev, (firing.get(sev) ?? 0) + 1);
    }
  }
  const receivers = s?.receivers ?? [];
  return [
    {
      name: 'ha_alerts_firing',
      help: 'Alerts firing now, by severity (silenced and inhibited ones included).',
      type: 'gauge',
      samples: [...firing].map(([severity, value]) => ({ labels: { severity }, value })),
    },
    {
      name: 'ha_alerts_pending',
      help: 'Alerts whose condition holds but not yet for long enough to fire.',
      type: 'gauge',
      samples: s ? [{ value: s.pending }] : [],
    },
    {
      name: 'ha_alerts_silences_active',
      help: 'Silences in effect now.',
      type: 'gauge',
      samples: s ? [{ value: s.silences }] : [],
    },
    {
      name: 'ha_notifications_delivered_total',
      help: 'Notifications delivered to the receiver since its notifier started.',
      type: 'counter',
      samples: receivers.map((r) => ({ labels: { receiver: r.receiver }, value: r.delivered })),
    },
    {
      name: 'ha_notifications_dropped_total',
      help: 'Notifications the receiver never got (retries exhausted) since its notifier started.',
      type: 'counter',
      samples: receivers.map((r) => ({ labels: { receiver: r.receiver }, value: r.dropped })),
    },
    {
      name: 'ha_notifications_queued',
      help: 'Notifications waiting for delivery to the receiver.',
      type: 'gauge',
      samples: receivers.map((r) => ({ labels: { receiver: r.receiver }, value: r.queued })),
    },
  ];
}
