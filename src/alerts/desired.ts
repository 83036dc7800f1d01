// What `hactl apply` keeps for alerts: the manager controller (rules, routes, silences) and one
// notifier controller per receiver.
import { HEALTH_IDS } from '../health/model/ids';
import type { BaseConfig } from '../platform/config/load';
import type { Desired } from '../platform/reconcile/desired';
import { controller } from '../platform/reconcile/desired';
import type { alertsManagerWorkflow } from '../../workflows/alerts/manager';
import type { notifierWorkflow } from '../../workflows/alerts/notifier';
import { ADDRESSED_LABEL } from '../core/events';
import { FLEET_METRICS } from './catalogue';
import type { AlertsConfig, NotificationsConfig } from './config';
import { ALERTS_IDS, ALERTS_KIND, ALERTS_WORKFLOWS } from './model/ids';
import type { Route } from './model/types';

export type AlertsSection = { alerts: AlertsConfig | null; notifications: NotificationsConfig | null };

/** One route per receiver for events addressed to it (label ha_receiver), told at once. */
export function addressedRoutes(receivers: readonly { name: string }[]): Route[] {
  return receivers.map((r) => ({
    matchers: [{ name: ADDRESSED_LABEL, op: '=', value: r.name }],
    receiver: r.name,
    groupBy: ['alertname', 'plan', 'run', 'step'],
    groupWaitMs: 0,
    groupIntervalMs: 60_000,
    repeatIntervalMs: 4 * 3_600_000,
    continue: false,
  }));
}

export function alertsDesired(config: BaseConfig & AlertsSection): Desired[] {
  const a = config.alerts;
  const n = config.notifications;
  if (!a && !n) return [];
  const out: Desired[] = [];
  for (const r of n?.receivers ?? []) {
    out.push(
      controller<typeof notifierWorkflow>(
        ALERTS_IDS.notifier(r.name),
        ALERTS_KIND.notifier,
        r.name,
        `delivery to receiver ${r.name} (${r.type})`,
        ALERTS_WORKFLOWS.notifier,
        { receiver: r },
      ),
    );
  }
  const externalURL = n?.externalURL ?? 'http://127.0.0.1:8233';
  const rules = a?.rules ?? [];
  const usesFleet = rules.some((r) => r.metric in FLEET_METRICS);
  out.push(
    controller<typeof alertsManagerWorkflow>(
      ALERTS_IDS.manager(),
      ALERTS_KIND.manager,
      'fleet',
      `alert rules (${rules.length}) and routing to ${n?.receivers.length ?? 0} receiver(s)`,
      ALERTS_WORKFLOWS.manager,
      {
        rules,
        dispatch: {
          routes: [...addressedRoutes(n?.receivers ?? []), ...(n?.routes ?? [])],
          defaultRoute: n?.defaultRoute ?? null,
          receivers: Object.fromEntries(
            (n?.receivers ?? []).map((r) => [
              r.name,
              // An Alertmanager keeps getting repeats: it expires alerts that are not re-sent.
              { sendResolved: r.sendResolved, ackStopsRepeat: r.type !== 'alertmanager' },
            ]),
          ),
          inhibit: a?.inhibit ?? [],
          externalURL,
          generatorURL: `${externalURL}/namespaces/${n?.namespace ?? 'default'}/workflows/${encodeURIComponent(ALERTS_IDS.manager())}`,
        },
        monitors: Object.fromEntries(config.hosts.map((h) => [h.name, HEALTH_IDS.monitor(h.name)])),
        staleAfterMs: a?.staleAfterMs ?? 120_000,
        fleetIntervalMs: usesFleet ? (a?.fleetIntervalMs ?? 60_000) : null,
      },
    ),
  );
  return out;
}
