// Alert rules, alerts, silences, routes and notifications: plain JSON shared by the config
// loader, the alerts manager workflow, the notifier, the activities and the client.

export type Operator = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type Severity = 'info' | 'warning' | 'critical';

/** A label matcher, as in Alertmanager: `name=value`, `!=`, `=~` (regex), `!~`. */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Which hosts a rule watches. */
export type HostSelector = { all: true } | { names: string[] } | { labels: Record<string, string> };

export interface AlertRule {
  name: string;
  /** Metric name (see the README's catalogue). */
  metric: string;
  /** Only samples whose labels match (mount, iface, set, ...). */
  where: Record<string, string>;
  op: Operator;
  threshold: number;
  /** Hysteresis: a firing alert resolves only past this value (default: the threshold). */
  resolve: number | null;
  /** How long, or how many consecutive samples, the condition must hold before firing. */
  for: { ms: number } | { samples: number };
  /** A firing alert stays firing this long after its condition cleared. */
  keepFiringForMs: number;
  severity: Severity;
  /** Host names the rule applies to (resolved from the selector at config time); null: any source. */
  hosts: string[] | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One series: a rule applied to one source (host) and one label set of the metric. */
export interface SeriesState {
  state: 'inactive' | 'pending' | 'firing';
  /** When the condition became true (pending) — Prometheus' activeAt. */
  activeAt: number | null;
  firingSince: number | null;
  /** Consecutive bad samples while pending or firing. */
  badSamples: number;
  /** Last time the condition held (for keepFiringFor). */
  lastBadAt: number | null;
  value: number;
  /** The raw condition at each of the last evaluations, newest last, as "0"/"1" (for flapping). */
  history: string;
  flapping: boolean;
}

export type AlertStatus = 'firing' | 'resolved';

/** An alert as routed and delivered: Alertmanager's model. */
export interface Alert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: AlertStatus;
  startsAt: string;
  /** When it resolved; null while firing. */
  endsAt: string | null;
  /** The value that last set it (for `hactl alerts`). */
  value: number | null;
  /** A one-off event (failover, DR step, ...) rather than a condition that resolves. */
  event?: boolean;
}

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  /** Ends when the alerts it silenced have resolved. */
  untilResolved: boolean;
  /** Fingerprints it has silenced (for untilResolved). */
  silenced: string[];
  expiredAt: string | null;
}

export interface Ack {
  fingerprint: string;
  by: string;
  at: string;
  comment: string;
}

export interface InhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

export interface Route {
  matchers: Matcher[];
  receiver: string;
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** Keep matching later routes after this one. */
  continue: boolean;
}

export type ReceiverSpec =
  | {
      name: string;
      type: 'webhook';
      url: string;
      timeoutMs: number;
      /** ${ENV} reference, resolved on the delivering worker; never in history. */
      hmacSecret: string | null;
      sendResolved: boolean;
      maxAgeMs: number;
    }
  | {
      name: string;
      type: 'alertmanager';
      url: string;
      timeoutMs: number;
      sendResolved: boolean;
      maxAgeMs: number;
    }
  | {
      name: string;
      type: 'command';
      host: string;
      argv: string[];
      timeoutMs: number;
      env: Record<string, string>;
      shell: boolean;
      sendResolved: boolean;
      maxAgeMs: number;
    }
  | { name: string; type: 'file'; host: string; path: string; sendResolved: boolean; maxAgeMs: number }
  | { name: string; type: 'log'; sendResolved: boolean; maxAgeMs: number };

/** Alertmanager's webhook body, version 4, field for field. */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: AlertStatus;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** Labels of the route (Alertmanager 0.35 and later); we have none: {}. */
  routeLabels: Record<string, string>;
  /** Why this notification (Alertmanager 0.35): "first notification", "repeat interval elapsed", ... */
  notification_reason: string;
  externalURL: string;
  alerts: Array<{
    status: AlertStatus;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }>;
}

/** One notification for one receiver: what the notifier delivers, at least once. */
export interface Notification {
  /** Stable per group: receivers use it with the fingerprints to drop repeats. */
  groupKey: string;
  /** Sequence number within the manager's lifetime, for the UI and logs. */
  seq: number;
  createdAt: string;
  receiver: string;
  /** The route's repeatInterval: an Alertmanager receiver keeps firing alerts alive past it. */
  repeatIntervalMs: number;
  payload: WebhookPayload;
}
