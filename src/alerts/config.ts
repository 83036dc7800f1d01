// The `alerts:` section (rules, inhibition) and the `notifications:` section (receivers,
// routes). Both belong to the alerts capability; each is checked and located like every other.
// Over 400 lines on purpose: two sections that refer to each other (routes name receivers, rules
// name metrics), with their schemas, located checks and normalisers in one place.
import * as path from 'node:path';
import { z } from 'zod';
import { DURATION_LIMITS, durationMs } from '../core/duration';
import type { ConfigSection, SectionContext } from '../platform/config/load';
import type { IssueCollector } from '../platform/config/issues';
import { suggest } from '../platform/config/issues';
import { checkHostRef, isObj, items, uniqueNames } from '../platform/config/rules';
import type { Obj } from '../platform/config/rules';
import { commandFields, duration, name, stringWithRefs } from '../platform/config/schema';
import type { PathSegment } from '../platform/config/yaml';
import { METRICS } from './catalogue';
import { equalMatchers, parseMatcher, templateNames } from './model/labels';
import type { AlertRule, InhibitRule, Matcher, ReceiverSpec, Route } from './model/types';

const labelMap = () =>
  z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'label names are letters, digits and _' }),
    z.string(),
  );

/** `{ name: value }` (equality) or `["name=~regex", ...]`. */
const matchersSchema = () => z.union([labelMap(), z.array(z.string())]);

const forSchema = z.union([
  z.number().int().min(0).max(10_000, { error: 'at most 10000 samples' }),
  z.string().regex(/^\s*\d+\s+samples?\s*$/, { error: 'write "3 samples" or a duration such as "5m"' }),
  duration({ limit: DURATION_LIMITS.alertFor }),
]);

export const ruleSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_:-]*$/, { error: 'an alert name is letters, digits, "_", ":" and "-"' }),
  metric: z.string(),
  where: labelMap().default({}),
  op: z.enum(['>', '>=', '<', '<=', '==', '!=']).default('>'),
  threshold: z.union([z.number(), duration({ limit: DURATION_LIMITS.keepWithin })]),
  resolve: z.union([z.number(), duration({ limit: DURATION_LIMITS.keepWithin })]).optional(),
  for: forSchema.default(0),
  keepFiringFor: duration({ limit: DURATION_LIMITS.alertFor }).optional(),
  severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  hosts: z
    .union([z.literal('all'), z.array(name()), z.strictObject({ labels: z.record(z.string(), z.string()) })])
    .default('all'),
  labels: labelMap().default({}),
  annotations: z.record(z.string(), z.string()).default({}),
});

const inhibitSchema = z.strictObject({
  source: matchersSchema(),
  target: matchersSchema().default({}),
  equal: z.array(z.string()).default([]),
});

export const alertsSchema = z.strictObject({
  /** A host that sends no samples for this long counts as down. */
  staleAfter: duration({ min: 1000, limit: DURATION_LIMITS.alertsInterval }).default('2m'),
  /** How often recovery points and schedule runs are read (when a rule uses them). */
  fleetInterval: duration({ min: 1000, limit: DURATION_LIMITS.alertsInterval }).default('1m'),
  /** A host-down alert holds the other alerts of that host (Alertmanager inhibition). */
  inhibitOnHostDown: z.boolean().default(true),
  rules: z.array(ruleSchema).default([]),
  inhibit: z.array(inhibitSchema).default([]),
});

const common = {
  sendResolved: z.boolean().default(true),
  maxAge: duration({ min: 1000, limit: DURATION_LIMITS.maxAge }).default('24h'),
};
const timeout = duration({ min: 100, limit: DURATION_LIMITS.receiverTimeout }).default('10s');
const url = () =>
  z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, { error: (iss) => `${JSON.stringify(iss.input)} is not an http(s) URL` });

export const receiverSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      name: name(),
      type: z.literal('webhook'),
      url: url(),
      timeout,
      /** ${ENV_NAME}: the HMAC-SHA256 key, read on the delivering worker. */
      hmacSecret: stringWithRefs().optional(),
      ...common,
    }),
    z.strictObject({ name: name(), type: z.literal('alertmanager'), url: url(), timeout, ...common }),
    z.strictObject({
      name: name(),
      type: z.literal('command'),
      host: name().optional(),
      ...commandFields('30s'),
      ...common,
    }),
    z.strictObject({
      name: name(),
      type: z.literal('file'),
      host: name().optional(),
      path: z.string().min(1),
      ...common,
    }),
    z.strictObject({ name: name(), type: z.literal('log'), ...common }),
  ],
  { error: 'a receiver needs a type: webhook, alertmanager, command, file or log' },
);

export const routeSchema = z.strictObject({
  match: labelMap().optional(),
  matchers: z.array(z.string()).optional(),
  receiver: name(),
  groupBy: z.array(z.string()).default(['alertname']),
  groupWait: duration({ limit: DURATION_LIMITS.groupWait }).default('30s'),
  groupInterval: duration({ min: 1000, limit: DURATION_LIMITS.groupInterval }).default('5m'),
  repeatInterval: duration({ min: 1000, limit: DURATION_LIMITS.repeatInterval }).default('4h'),
  continue: z.boolean().default(false),
});

export const notificationsSchema = z.strictObject({
  /** Where links in notifications point: the Temporal Web UI. */
  externalURL: url().default('http://127.0.0.1:8233'),
  /** Namespace in those links. */
  namespace: z.string().default('default'),
  receivers: z.array(receiverSchema).default([]),
  routes: z.array(routeSchema).default([]),
  /** Where alerts that match no route go; default the first receiver. */
  defaultReceiver: name().optional(),
});

type RawAlerts = z.infer<typeof alertsSchema>;
type RawNotifications = z.infer<typeof notificationsSchema>;

export interface AlertsConfig {
  staleAfterMs: number;
  fleetIntervalMs: number;
  rules: AlertRule[];
  inhibit: InhibitRule[];
}

export interface NotificationsConfig {
  externalURL: string;
  namespace: string;
  receivers: ReceiverSpec[];
  routes: Route[];
  defaultRoute: Route | null;
}

function toMatchers(raw: Record<string, string> | string[]): Matcher[] {
  if (!Array.isArray(raw)) return equalMatchers(raw);
  return raw.map((t) => parseMatcher(t) as Matcher);
}

function checkMatchers(raw: unknown, at: PathSegment[], issues: IssueCollector): void {
  if (!Array.isArray(raw)) return;
  raw.forEach((t, i) => {
    if (typeof t !== 'string') return;
    const m = parseMatcher(t);
    if ('error' in m) issues.add([...at, i], m.error);
  });
}

/** Seconds from a number or a duration ("2h" for a recovery-point threshold). */
function seconds(v: number | string): number {
  return typeof v === 'number' ? v : durationMs(v) / 1000;
}

function forOf(v: number | string): AlertRule['for'] {
  if (typeof v === 'number') return { samples: v };
  const m = /^\s*(\d+)\s+samples?\s*$/.exec(v);
  return m ? { samples: Number(m[1]) } : { ms: durationMs(v) };
}

function checkRules(doc: Obj, issues: IssueCollector, ctx: SectionContext): void {
  const alerts = doc.alerts;
  if (!isObj(alerts)) return;
  uniqueNames(alerts, 'rules', 'alert rule', issues);
  for (const { item, index } of items(alerts, 'rules')) {
    const at: PathSegment[] = ['alerts', 'rules', index];
    const metric = typeof item.metric === 'string' ? METRICS[item.metric] : undefined;
    if (typeof item.metric === 'string' && !metric) {
      const hint = suggest(item.metric, Object.keys(METRICS));
      issues.add(
        [...at, 'metric'],
        `unknown metric "${item.metric}"${hint ? `; did you mean "${hint}"?` : ''} (the metrics are listed in the README)`,
      );
    }
    if (metric && isObj(item.where)) {
      for (const k of Object.keys(item.where)) {
        if (!metric.labels.includes(k))
          issues.add(
            [...at, 'where', k],
            `metric ${item.metric} has no label "${k}"${metric.labels.length ? ` (it has: ${metric.labels.join(', ')})` : ''}`,
          );
      }
    }
    if (item.resolve !== undefined && (item.op === '==' || item.op === '!=')) {
      issues.add(
        [...at, 'resolve'],
        `resolve (hysteresis) needs an ordering operator (>, >=, <, <=), not ${String(item.op)}`,
      );
    }
    const op = typeof item.op === 'string' ? item.op : '>';
    const th =
      typeof item.threshold === 'number'
        ? item.threshold
        : typeof item.threshold === 'string'
          ? safeSeconds(item.threshold)
          : undefined;
    const rs =
      typeof item.resolve === 'number'
        ? item.resolve
        : typeof item.resolve === 'string'
          ? safeSeconds(item.resolve)
          : undefined;
    if (th !== undefined && rs !== undefined) {
      const wrongSide = op === '>' || op === '>=' ? rs > th : op === '<' || op === '<=' ? rs < th : false;
      if (wrongSide)
        issues.add(
          [...at, 'resolve'],
          `resolve ${rs} is on the wrong side of threshold ${th}: with ${op} it must be ${op.startsWith('>') ? 'at most' : 'at least'} the threshold`,
        );
    }
    if (Array.isArray(item.hosts))
      item.hosts.forEach((h, i) => checkHostRef(h, [...at, 'hosts', i], ctx.hostNames, issues));
    if (metric && isObj(item.annotations)) {
      const allowed = new Set([
        'host',
        'value',
        'threshold',
        'alertname',
        'severity',
        METRIC_LABEL_NAME,
        ...metric.labels,
        ...Object.keys(isObj(item.labels) ? item.labels : {}),
      ]);
      for (const [k, v] of Object.entries(item.annotations)) {
        if (typeof v !== 'string') continue;
        for (const n of templateNames(v)) {
          if (!allowed.has(n))
            issues.add(
              [...at, 'annotations', k],
              `{{ ${n} }} is not known here; use one of ${[...allowed].join(', ')}`,
            );
        }
      }
    }
  }
  items(alerts, 'inhibit').forEach(({ item, index }) => {
    checkMatchers(item.source, ['alerts', 'inhibit', index, 'source'], issues);
    checkMatchers(item.target, ['alerts', 'inhibit', index, 'target'], issues);
  });
}

const METRIC_LABEL_NAME = 'ha_metric';

function safeSeconds(v: string): number | undefined {
  try {
    return durationMs(v) / 1000;
  } catch {
    return undefined;
  }
}

function hostsOf(sel: RawAlerts['rules'][number]['hosts'], ctx: SectionContext): string[] | null {
  if (sel === 'all') return null;
  if (Array.isArray(sel)) return sel;
  return ctx.hosts
    .filter((h) => Object.entries(sel.labels).every(([k, v]) => h.labels[k] === v))
    .map((h) => h.name);
}

export const alertsSection: ConfigSection<RawAlerts | undefined, AlertsConfig | null> = {
  key: 'alerts',
  schema: alertsSchema.optional(),
  rules: checkRules,
  normalise(raw, ctx) {
    if (!raw) return null;
    const inhibit: InhibitRule[] = raw.inhibit.map((r) => ({
      source: toMatchers(r.source),
      target: toMatchers(r.target),
      equal: r.equal,
    }));
    if (raw.inhibitOnHostDown)
      inhibit.push({
        source: [{ name: METRIC_LABEL_NAME, op: '=', value: 'host.up' }],
        target: [],
        equal: ['host'],
      });
    return {
      staleAfterMs: durationMs(raw.staleAfter),
      fleetIntervalMs: durationMs(raw.fleetInterval),
      inhibit,
      rules: raw.rules.map((r) => ({
        name: r.name,
        metric: r.metric,
        where: r.where,
        op: r.op,
        threshold: seconds(r.threshold),
        resolve: r.resolve === undefined ? null : seconds(r.resolve),
        for: forOf(r.for),
        keepFiringForMs: r.keepFiringFor ? durationMs(r.keepFiringFor) : 0,
        severity: r.severity,
        hosts: hostsOf(r.hosts, ctx),
        labels: r.labels,
        annotations: r.annotations,
      })),
    };
  },
  summary: (a) => (a ? `${a.rules.length} alert rule(s)` : undefined),
};

function checkNotifications(doc: Obj, issues: IssueCollector, ctx: SectionContext): void {
  const n = doc.notifications;
  if (!isObj(n)) return;
  const receivers = uniqueNames(n, 'receivers', 'receiver', issues);
  const only = ctx.hostNames.size === 1 ? [...ctx.hostNames][0] : undefined;
  for (const { item, index } of items(n, 'receivers')) {
    const at: PathSegment[] = ['notifications', 'receivers', index];
    if (item.type === 'file' || item.type === 'command') {
      if (item.host === undefined && !only)
        issues.add(
          at,
          `a ${String(item.type)} receiver runs on a host: say which with "host" (the config has several)`,
        );
      checkHostRef(item.host, [...at, 'host'], ctx.hostNames, issues);
      if (
        item.type === 'command' &&
        item.shell === true &&
        Array.isArray(item.argv) &&
        item.argv.length !== 1
      )
        issues.add([...at, 'argv'], 'with shell: true, argv must be one string: the shell script to run');
    }
    if (
      item.type === 'webhook' &&
      typeof item.hmacSecret === 'string' &&
      !/\$\{[A-Za-z_][A-Za-z0-9_]*\}/.test(item.hmacSecret)
    ) {
      issues.add(
        [...at, 'hmacSecret'],
        'write the secret as a reference, e.g. "${WEBHOOK_SECRET}": its value must never be in the config or in workflow history',
      );
    }
  }
  const ref = (v: unknown, at: PathSegment[]): void => {
    if (typeof v !== 'string' || receivers.has(v)) return;
    const hint = suggest(v, [...receivers]);
    issues.add(
      at,
      `unknown receiver "${v}"${hint ? `; did you mean "${hint}"?` : `; defined receivers: ${[...receivers].join(', ') || '(none)'}`}`,
    );
  };
  for (const { item, index } of items(n, 'routes')) {
    ref(item.receiver, ['notifications', 'routes', index, 'receiver']);
    checkMatchers(item.matchers, ['notifications', 'routes', index, 'matchers'], issues);
  }
  ref(n.defaultReceiver, ['notifications', 'defaultReceiver']);
}

function receiverOf(r: RawNotifications['receivers'][number], ctx: SectionContext): ReceiverSpec {
  const base = { name: r.name, sendResolved: r.sendResolved, maxAgeMs: durationMs(r.maxAge) };
  const hostOf = (h: string | undefined): string => h ?? ctx.hosts[0]!.name;
  switch (r.type) {
    case 'webhook':
      return {
        ...base,
        type: 'webhook',
        url: r.url,
        timeoutMs: durationMs(r.timeout),
        hmacSecret: r.hmacSecret ?? null,
      };
    case 'alertmanager':
      return { ...base, type: 'alertmanager', url: r.url, timeoutMs: durationMs(r.timeout) };
    case 'command':
      return {
        ...base,
        type: 'command',
        host: hostOf(r.host),
        argv: r.argv,
        timeoutMs: durationMs(r.timeout),
        env: r.env ?? {},
        shell: r.shell,
      };
    case 'file':
      return { ...base, type: 'file', host: hostOf(r.host), path: path.resolve(ctx.baseDir, r.path) };
    case 'log':
      return { ...base, type: 'log' };
  }
}

function routeOf(r: RawNotifications['routes'][number]): Route {
  return {
    matchers: [
      ...(r.match ? equalMatchers(r.match) : []),
      ...(r.matchers ?? []).map((t) => parseMatcher(t) as Matcher),
    ],
    receiver: r.receiver,
    groupBy: r.groupBy,
    groupWaitMs: durationMs(r.groupWait),
    groupIntervalMs: durationMs(r.groupInterval),
    repeatIntervalMs: durationMs(r.repeatInterval),
    continue: r.continue,
  };
}

export const notificationsSection: ConfigSection<RawNotifications | undefined, NotificationsConfig | null> = {
  key: 'notifications',
  schema: notificationsSchema.optional(),
  rules: checkNotifications,
  normalise(raw, ctx) {
    if (!raw) return null;
    const receivers = raw.receivers.map((r) => receiverOf(r, ctx));
    const fallback = raw.defaultReceiver ?? receivers[0]?.name;
    return {
      externalURL: raw.externalURL.replace(/\/+$/, ''),
      namespace: raw.namespace,
      receivers,
      routes: raw.routes.map(routeOf),
      defaultRoute: fallback
        ? routeOf({
            receiver: fallback,
            groupBy: ['alertname'],
            groupWait: '30s',
            groupInterval: '5m',
            repeatInterval: '4h',
            continue: false,
          })
        : null,
    };
  },
  summary: (n) => (n ? `${n.receivers.length} receiver(s)` : undefined),
};
