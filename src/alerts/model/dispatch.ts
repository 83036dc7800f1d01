// What Alertmanager does with alerts, as a pure state machine: routes, aggregation groups with
// groupWait / groupInterval / repeatInterval, silences (also ones that end on resolve),
// acknowledgements that stop repeats, inhibition, and the webhook payload of every
// notification. The alerts manager workflow keeps a DispatchState and calls these functions.
// Over 400 lines on purpose: grouping, silences, inhibition and the payload are one state
// machine over one state; split up, each part would need the others' internals.
import { expandTemplate, fingerprint, labelSetString, matchesAll, formatMatcher } from './labels';
import type { Ack, Alert, InhibitRule, Notification, Route, Silence, WebhookPayload } from './types';

export interface DispatchConfig {
  routes: Route[];
  /** Where alerts that match no route go; null: nowhere. */
  defaultRoute: Route | null;
  receivers: Record<string, ReceiverDispatch>;
  inhibit: InhibitRule[];
  externalURL: string;
  generatorURL: string;
}

export interface ReceiverDispatch {
  sendResolved: boolean;
  /**
   * Whether an acknowledgement stops the repeats to this receiver (default true). Not for an
   * Alertmanager: it lets an alert that is not re-sent expire as resolved.
   */
  ackStopsRepeat?: boolean;
}

/** An alert as the manager tracks it: the delivered view, plus whether it is flapping. */
export interface TrackedAlert extends Alert {
  flapping: boolean;
  updatedAt: string;
}

/** What the receiver last saw of an alert. */
type Seen = 'firing' | 'flapping' | 'resolved';

export interface GroupState {
  id: string;
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  /** The route's position in the current config (-1: the default route). */
  route: number;
  /** What the route is (receiver, matchers, groupBy): how a group finds its route after a reconfigure. */
  routeSig: string;
  members: string[];
  nextFlushAt: number | null;
  lastFlushAt: number | null;
  lastSentAt: number | null;
  sent: Record<string, Seen>;
}

export interface DispatchState {
  alerts: Record<string, TrackedAlert>;
  groups: Record<string, GroupState>;
  silences: Silence[];
  acks: Record<string, Ack>;
  seq: number;
}

export function newDispatchState(): DispatchState {
  return { alerts: {}, groups: {}, silences: [], acks: {}, seq: 0 };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
/** Resolved alerts stay listed (`hactl alerts`) this long after they were delivered. */
export const KEEP_RESOLVED_MS = 3_600_000;
/** Ended silences stay listed (`hactl silence list --all`) this long, as in Alertmanager. */
export const KEEP_ENDED_SILENCE_MS = 5 * 86_400_000;

function routeKey(r: Route | null): string {
  return r && r.matchers.length ? `{}/{${r.matchers.map(formatMatcher).join(',')}}` : '{}';
}

/** The routes an alert takes: the first that matches (and those after it while `continue`). */
export function routesFor(
  cfg: DispatchConfig,
  labels: Record<string, string>,
): Array<{ index: number; route: Route }> {
  const out: Array<{ index: number; route: Route }> = [];
  for (const [index, route] of cfg.routes.entries()) {
    if (!matchesAll(route.matchers, labels)) continue;
    out.push({ index, route });
    if (!route.continue) return out;
  }
  if (out.length === 0 && cfg.defaultRoute) out.push({ index: -1, route: cfg.defaultRoute });
  return out;
}

/** A route's identity across reconfigures: position does not count, what it does does. */
export function routeSig(route: Route, index: number): string {
  return JSON.stringify([
    index === -1 ? 'default' : 'route',
    route.receiver,
    route.matchers.map(formatMatcher),
    route.groupBy,
  ]);
}

function groupId(sig: string, groupLabels: Record<string, string>): string {
  return fingerprint({ route: sig, group: labelSetString(groupLabels) });
}

/** Timings for a group whose route cannot be found (never expected: reroute runs first). */
const FALLBACK_TIMING = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 };

function routeOf(cfg: DispatchConfig, index: number): Route {
  const r = index === -1 ? cfg.defaultRoute : cfg.routes[index];
  return r ?? { matchers: [], receiver: '', groupBy: [], continue: false, ...FALLBACK_TIMING };
}

export function activeSilences(state: DispatchState, now: number): Silence[] {
  return state.silences.filter(
    (s) => s.expiredAt === null && Date.parse(s.startsAt) <= now && now < Date.parse(s.endsAt),
  );
}

export function silencedBy(state: DispatchState, labels: Record<string, string>, now: number): string[] {
  return activeSilences(state, now)
    .filter((s) => matchesAll(s.matchers, labels))
    .map((s) => s.id);
}

/**
 * Firing alerts that inhibit `a` (never itself). Events are never inhibited: a failover or a DR
 * step happens because a host is down, and is told once. As in Alertmanager, an alert that
 * matches both sides of a rule is not inhibited by another that matches both (two host-down
 * rules of different severity do not hide each other).
 */
export function inhibitedBy(state: DispatchState, cfg: DispatchConfig, a: Alert): string[] {
  const out: string[] = [];
  if (a.event) return out;
  for (const rule of cfg.inhibit) {
    if (!matchesAll(rule.target, a.labels)) continue;
    const aIsSource = matchesAll(rule.source, a.labels);
    for (const src of Object.values(state.alerts)) {
      if (src.fingerprint === a.fingerprint || src.status !== 'firing' || src.event) continue;
      if (!matchesAll(rule.source, src.labels)) continue;
      if (aIsSource && matchesAll(rule.target, src.labels)) continue;
      if (rule.equal.every((l) => (src.labels[l] ?? '') === (a.labels[l] ?? ''))) out.push(src.fingerprint);
    }
  }
  return out;
}

/**
 * What the receiver would see now: hidden (silenced, inhibited) firing alerts are null. A
 * resolve is never hidden: a receiver that was told an alert fired is told it resolved.
 */
function visible(state: DispatchState, cfg: DispatchConfig, fp: string, now: number): Seen | null {
  const a = state.alerts[fp];
  if (!a) return null;
  if (a.status === 'resolved') return 'resolved';
  if (silencedBy(state, a.labels, now).length || inhibitedBy(state, cfg, a).length) return null;
  return a.flapping ? 'flapping' : 'firing';
}

/** A change in a group: notify at the next groupInterval tick (or at groupWait for a new one). */
function touch(g: GroupState, route: Route, now: number): void {
  const at =
    g.lastFlushAt === null
      ? (g.nextFlushAt ?? now + route.groupWaitMs)
      : Math.max(now, g.lastFlushAt + route.groupIntervalMs);
  g.nextFlushAt = g.nextFlushAt === null ? at : Math.min(g.nextFlushAt, at);
}

/** Every group might see differently now (a silence, an inhibiting alert, an ack changed). */
export function touchAll(state: DispatchState, cfg: DispatchConfig, now: number): void {
  for (const g of Object.values(state.groups)) touch(g, routeOf(cfg, g.route), now);
}

/**
 * Adds or updates an alert and files it into the groups of its routes. Returns whether it is
 * new or its status (or flapping) changed.
 */
export function putAlert(
  state: DispatchState,
  cfg: DispatchConfig,
  alert: Omit<TrackedAlert, 'fingerprint' | 'updatedAt'>,
  now: number,
): TrackedAlert {
  const fp = fingerprint(alert.labels);
  const prev = state.alerts[fp];
  const a: TrackedAlert = {
    ...alert,
    fingerprint: fp,
    // A re-fire keeps its first start while the receiver still knows it.
    startsAt: prev && prev.status === 'firing' ? prev.startsAt : alert.startsAt,
    updatedAt: new Date(now).toISOString(),
  };
  state.alerts[fp] = a;
  if (a.status === 'resolved') delete state.acks[fp];
  // Silences remember what they silenced, so that --until-resolved can end.
  for (const s of activeSilences(state, now)) {
    if (s.untilResolved && matchesAll(s.matchers, a.labels) && !s.silenced.includes(fp)) s.silenced.push(fp);
  }
  const changed = !prev || prev.status !== a.status || prev.flapping !== a.flapping;
  fileAlert(state, cfg, a, changed, now);
  // Firing or resolving may inhibit or free other alerts.
  if (changed && cfg.inhibit.some((r) => matchesAll(r.source, a.labels))) touchAll(state, cfg, now);
  if (a.status === 'resolved') endUntilResolved(state, cfg, now);
  return a;
}

/** Puts an alert into the groups of its routes (a new group waits groupWait). */
function fileAlert(
  state: DispatchState,
  cfg: DispatchConfig,
  a: TrackedAlert,
  changed: boolean,
  now: number,
): void {
  for (const { index, route } of routesFor(cfg, a.labels)) {
    const groupLabels = Object.fromEntries(route.groupBy.map((l) => [l, a.labels[l] ?? '']));
    const sig = routeSig(route, index);
    const id = groupId(sig, groupLabels);
    let g = state.groups[id];
    if (!g) {
      g = {
        id,
        receiver: route.receiver,
        groupKey: `${routeKey(index === -1 ? null : route)}:${labelSetString(groupLabels)}`,
        groupLabels,
        route: index,
        routeSig: sig,
        members: [],
        nextFlushAt: now + route.groupWaitMs,
        lastFlushAt: null,
        lastSentAt: null,
        sent: {},
      };
      state.groups[id] = g;
    }
    const added = !g.members.includes(a.fingerprint);
    if (added) g.members.push(a.fingerprint);
    if (changed || added) touch(g, route, now);
  }
}

/**
 * After the routes changed: groups find their route by what it is (not where it is in the
 * list); groups whose route is gone are dropped; alerts leave groups their routes no longer
 * reach and join the ones they now reach (a new receiver gets them after its groupWait). What a
 * receiver was already told is kept, so a reconfigure alone notifies nobody twice.
 */
export function reroute(state: DispatchState, cfg: DispatchConfig, now: number): void {
  const index = new Map<string, number>();
  cfg.routes.forEach((r, i) => {
    const sig = routeSig(r, i);
    if (!index.has(sig)) index.set(sig, i);
  });
  if (cfg.defaultRoute) index.set(routeSig(cfg.defaultRoute, -1), -1);
  const want = new Map<string, Set<string>>();
  for (const a of Object.values(state.alerts)) {
    if (a.event) continue;
    for (const { index: i, route } of routesFor(cfg, a.labels)) {
      const id = groupId(
        routeSig(route, i),
        Object.fromEntries(route.groupBy.map((l) => [l, a.labels[l] ?? ''])),
      );
      if (!want.has(id)) want.set(id, new Set());
      want.get(id)!.add(a.fingerprint);
    }
  }
  for (const g of Object.values(state.groups)) {
    const i = index.get(g.routeSig);
    if (i === undefined) {
      delete state.groups[g.id];
      continue;
    }
    g.route = i;
    g.receiver = routeOf(cfg, i).receiver;
    g.members = g.members.filter((fp) => state.alerts[fp]?.event || want.get(g.id)?.has(fp));
    if (g.members.length === 0) delete state.groups[g.id];
  }
  for (const a of Object.values(state.alerts)) {
    if (a.status === 'firing' && !a.event) fileAlert(state, cfg, a, false, now);
  }
}

/** Ends --until-resolved silences whose silenced alerts have all resolved. */
function endUntilResolved(state: DispatchState, cfg: DispatchConfig, now: number): void {
  for (const s of state.silences) {
    if (!s.untilResolved || s.expiredAt !== null || s.silenced.length === 0) continue;
    if (s.silenced.every((fp) => state.alerts[fp]?.status !== 'firing')) {
      s.expiredAt = new Date(now).toISOString();
      touchAll(state, cfg, now);
    }
  }
}

/** The earliest time something is due: a group flush or the end of a silence. */
export function nextDue(state: DispatchState): number | null {
  let due: number | null = null;
  const at = (t: number | null): void => {
    if (t !== null && (due === null || t < due)) due = t;
  };
  for (const g of Object.values(state.groups)) at(g.nextFlushAt);
  for (const s of state.silences) if (s.expiredAt === null) at(Date.parse(s.endsAt));
  return due;
}

function common(maps: Array<Record<string, string>>): Record<string, string> {
  if (maps.length === 0) return {};
  return Object.fromEntries(Object.entries(maps[0]!).filter(([k, v]) => maps.every((m) => m[k] === v)));
}

/** Alertmanager's webhook body (version 4) for a group's alerts. */
export function webhookPayload(
  cfg: DispatchConfig,
  g: GroupState,
  alerts: Array<{ alert: TrackedAlert; seen: Seen }>,
  reason = 'first notification',
): WebhookPayload {
  const shown: WebhookPayload['alerts'] = alerts.map(({ alert, seen }) => ({
    status: seen === 'resolved' ? 'resolved' : 'firing',
    labels: alert.labels,
    annotations: seen === 'flapping' ? { ...alert.annotations, flapping: 'true' } : alert.annotations,
    startsAt: alert.startsAt,
    endsAt: seen === 'resolved' ? (alert.endsAt ?? alert.updatedAt) : ZERO_TIME,
    generatorURL: cfg.generatorURL,
    fingerprint: alert.fingerprint,
  }));
  return {
    version: '4',
    groupKey: g.groupKey,
    truncatedAlerts: 0,
    status: shown.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: g.receiver,
    groupLabels: g.groupLabels,
    commonLabels: common(shown.map((a) => a.labels)),
    commonAnnotations: common(shown.map((a) => a.annotations)),
    routeLabels: {},
    notification_reason: reason,
    externalURL: cfg.externalURL,
    alerts: shown,
  };
}

/**
 * Flushes every group that is due: sends what changed since the receiver's last notification
 * (new, resolved, flapping), or a repeat of the firing alerts every repeatInterval unless all
 * of them are acknowledged. Silenced and inhibited alerts are left out.
 */
export function flushDue(state: DispatchState, cfg: DispatchConfig, now: number): Notification[] {
  const out: Notification[] = [];
  // Silences that ran out: their alerts may be visible again.
  for (const s of state.silences) {
    if (s.expiredAt === null && Date.parse(s.endsAt) <= now) {
      s.expiredAt = s.endsAt;
      touchAll(state, cfg, now);
    }
  }
  // Ended silences are forgotten after a while, so that the state does not grow for ever.
  state.silences = state.silences.filter(
    (s) => s.expiredAt === null || now - Date.parse(s.expiredAt) < KEEP_ENDED_SILENCE_MS,
  );
  for (const g of Object.values(state.groups)) {
    if (g.nextFlushAt === null || g.nextFlushAt > now) continue;
    const route = routeOf(cfg, g.route);
    const sendResolved = cfg.receivers[g.receiver]?.sendResolved ?? true;
    const acked = (fp: string): boolean =>
      (cfg.receivers[g.receiver]?.ackStopsRepeat ?? true) && state.acks[fp] !== undefined;
    const include: Array<{ alert: TrackedAlert; seen: Seen }> = [];
    let changed = false;
    for (const fp of g.members) {
      const seen = visible(state, cfg, fp, now);
      const before = g.sent[fp];
      if (seen === null) continue;
      if (seen === 'resolved') {
        if (before && before !== 'resolved') {
          changed = true;
          if (sendResolved) include.push({ alert: state.alerts[fp]!, seen });
        }
        continue;
      }
      if (before !== seen) changed = true;
      include.push({ alert: state.alerts[fp]!, seen });
    }
    const firing = include.filter((x) => x.seen !== 'resolved');
    const repeat =
      g.lastSentAt !== null &&
      now - g.lastSentAt >= route.repeatIntervalMs &&
      firing.some((x) => !acked(x.alert.fingerprint));
    g.lastFlushAt = now;
    if ((changed || repeat) && include.length > 0) {
      // Alertmanager's words for why (notification_reason).
      const resolvedNow = include.filter((x) => x.seen === 'resolved').length;
      const newFiring = firing.some((x) => g.sent[x.alert.fingerprint] !== x.seen);
      const reason =
        g.lastSentAt === null
          ? 'first notification'
          : newFiring
            ? 'new alerts added'
            : resolvedNow && firing.length === 0
              ? 'all alerts resolved'
              : resolvedNow
                ? 'some alerts resolved'
                : 'repeat interval elapsed';
      state.seq++;
      out.push({
        groupKey: g.groupKey,
        seq: state.seq,
        createdAt: new Date(now).toISOString(),
        receiver: g.receiver,
        repeatIntervalMs: route.repeatIntervalMs,
        payload: webhookPayload(cfg, g, include, reason),
      });
      g.lastSentAt = now;
    }
    // What the receiver knows now; resolved and one-off alerts leave the group once told. A
    // firing alert hidden since (silenced, inhibited) keeps what the receiver was last told,
    // so that its resolve is still told.
    const before = g.sent;
    g.sent = {};
    for (const x of firing) if (!x.alert.event) g.sent[x.alert.fingerprint] = x.seen;
    for (const fp of g.members) {
      const a = state.alerts[fp];
      if (a && !a.event && a.status === 'firing' && g.sent[fp] === undefined && before[fp] !== undefined)
        g.sent[fp] = before[fp];
    }
    g.members = g.members.filter((fp) => {
      const a = state.alerts[fp];
      if (!a || a.event) return false;
      return a.status === 'firing';
    });
    const unacked = g.members.some((fp) => visible(state, cfg, fp, now) !== null && !acked(fp));
    g.nextFlushAt = unacked && g.lastSentAt !== null ? g.lastSentAt + route.repeatIntervalMs : null;
    if (g.members.length === 0) delete state.groups[g.id];
  }
  // Alerts in no group: resolved (kept a while for listings) or one-off events (dropped).
  const grouped = new Set(Object.values(state.groups).flatMap((g) => g.members));
  for (const [fp, a] of Object.entries(state.alerts)) {
    if (grouped.has(fp)) continue;
    if (a.event || (a.status === 'resolved' && now - Date.parse(a.updatedAt) > KEEP_RESOLVED_MS))
      delete state.alerts[fp];
  }
  return out;
}

/** Labels and annotations of a rule's alert for one series; annotations filled from labels. */
export function alertLabels(
  rule: {
    name: string;
    severity: string;
    metric: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    threshold: number;
  },
  source: string,
  sampleLabels: Record<string, string>,
  value: number,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {
    ...rule.labels,
    ...sampleLabels,
    alertname: rule.name,
    severity: rule.severity,
    host: source,
    ha_metric: rule.metric,
  };
  const vars = { ...labels, value: String(Math.round(value * 100) / 100), threshold: String(rule.threshold) };
  const annotations = Object.fromEntries(
    Object.entries(rule.annotations).map(([k, v]) => [k, expandTemplate(v, vars)]),
  );
  return { labels, annotations };
}
