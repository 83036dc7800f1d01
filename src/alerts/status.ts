// Alerts' part of `hactl status`: what fires, and how delivery to each receiver goes.
import type { StatusSection } from '../platform/capability';
import { listAlerts, notifierState } from './client';
import { renderAlertsStatus } from './cli/render';
import type { AlertsStatus } from './cli/render';
import type { AlertsSection } from './desired';
import { alertsMetrics } from './metrics';

export const alertsStatusSection: StatusSection<AlertsSection, AlertsStatus | null> = {
  key: 'alerts',
  async collect(client, config) {
    if (config && !config.alerts && !config.notifications) return null;
    let view;
    try {
      view = await client.connection.withDeadline(Date.now() + 5_000, () => listAlerts(client));
    } catch {
      return null; // not configured on this server (or no worker answers the query)
    }
    const now = Date.now();
    const receivers = await Promise.all(
      (config?.notifications?.receivers ?? []).map((r) => notifierState(client, r.name).catch(() => null)),
    );
    return {
      firing: view.alerts.filter((a) => a.state === 'firing'),
      pending: view.alerts.filter((a) => a.state === 'pending').length,
      silences: view.silences.filter((s) => s.expiredAt === null && Date.parse(s.endsAt) > now).length,
      receivers: receivers.filter((r) => r !== null),
    };
  },
  render: renderAlertsStatus,
  metrics: alertsMetrics,
};
