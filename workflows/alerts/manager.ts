// alerts:manager — one long-running controller for the fleet's alerts. It receives every host's
// samples from the host monitors (it subscribes to them), evaluates the rules series by series,
// and does what Alertmanager does with the result: routing, grouping, silences, acks and
// inhibition; each notification goes to the receiver's notify:<receiver> controller.
//
// One controller rather than rules inside each host monitor: grouping, inhibition (a host-down
// alert holds that host's other alerts) and silences need one view of every alert, and the
// host monitors stay small and know nothing of rules.
// Over 400 lines on purpose: the handlers and the loop share the run's state through closures;
// the logic itself lives in the pure modules (evaluate, dispatch, requests).
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertsActivities } from '../../activities/alerts';
import type { DispatchConfig, DispatchState } from '../../src/alerts/model/dispatch';
import {
  alertLabels,
  flushDue,
  inhibitedBy,
  newDispatchState,
  nextDue,
  putAlert,
  reroute,
  silencedBy,
  touchAll,
} from '../../src/alerts/model/dispatch';
import { checkAck, checkEvent, checkExpire, checkSilence } from '../../src/alerts/model/requests';
import { newSeries, step } from '../../src/alerts/model/evaluate';
import type { SeriesEvent } from '../../src/alerts/model/evaluate';
import { ALERTS_IDS } from '../../src/alerts/model/ids';
import { fingerprint, labelSetString, matchesAll } from '../../src/alerts/model/labels';
import type { Ack, AlertRule, Notification, SeriesState, Silence } from '../../src/alerts/model/types';
import type { SampleBatch } from '../../src/core/metrics';
import { samplesSignal, subscribeSignal } from '../../src/core/metrics';
import { SA_KEYS } from '../../src/core/search-attributes';
import { onReconfigure } from '../shared/controller';
import {
  ackSignal,
  ackUpdate,
  addSilenceSignal,
  addSilenceUpdate,
  alertsQuery,
  eventSignal,
  expireSilenceSignal,
  expireSilenceUpdate,
  notifySignal,
} from './messages';
import type { AckRequest, AlertView, EventRequest, ExpireRequest, SilenceRequest } from './messages';

export interface AlertsManagerConfig {
  rules: AlertRule[];
  dispatch: DispatchConfig;
  /** Hosts, and the workflow of each that sends their samples (health's monitor). */
  monitors: Record<string, string>;
  /** A host that sends no samples for this long counts as down (host.up = 0). */
  staleAfterMs: number;
  /** How often fleet metrics (recovery points, failed schedules) are read; null: never. */
  fleetIntervalMs: number | null;
}

export interface SeriesEntry {
  rule: string;
  source: string;
  labels: Record<string, string>;
  s: SeriesState;
  /** Where its samples come from: a host monitor's snapshots, or the fleet collection. */
  origin: 'monitor' | 'fleet';
}

export interface ManagerState {
  series: Record<string, SeriesEntry>;
  dispatch: DispatchState;
  /** Last samples per host (ms), and last subscription sent. */
  lastSampleAt: Record<string, number>;
  subscribedAt: Record<string, number>;
  sent: number;
  /** Notifications whose notifier could not be signalled yet (retried every loop). */
  outbox?: Notification[];
}

export interface AlertsManagerInput extends AlertsManagerConfig {
  state?: ManagerState;
  /** Signals and updates per run before continuing as new; default 2000 (tests use fewer). */
  maxEventsPerRun?: number;
  /** Samples and events that arrived while the previous run was continuing as new. */
  pending?: { samples: SampleBatch[]; events: EventRequest[] };
}

const MAX_EVENTS_PER_RUN = 2000;
/** Notifications kept for notifiers that cannot be signalled, and how often they are retried. */
const MAX_OUTBOX = 1000;
const OUTBOX_RETRY_MS = 10_000;
/** Firing alerts listed in the HaAlerts search attribute (the rest are counted). */
const MAX_LISTED = 100;

export async function alertsManagerWorkflow(input: AlertsManagerInput): Promise<void> {
  let cfg: AlertsManagerConfig = input;
  const me = ALERTS_IDS.manager();
  const state: ManagerState = input.state ?? {
    series: {},
    dispatch: newDispatchState(),
    lastSampleAt: {},
    subscribedAt: {},
    sent: 0,
  };
  const inbox: SampleBatch[] = [...(input.pending?.samples ?? [])];
  const events: EventRequest[] = [...(input.pending?.events ?? [])];
  let eventsThisRun = 0;
  let dirty = true;
  let nextFleetAt = Date.now();
  const { alertsCollectFleet } = proxyActivities<AlertsActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
  });

  const rulesByName = (): Map<string, AlertRule> => new Map(cfg.rules.map((r) => [r.name, r]));
  const iso = (ms: number): string => new Date(ms).toISOString();

  /** Series events into the dispatcher; flapping holds back fire and resolve. */
  const dispatchEvents = (rule: AlertRule, e: SeriesEntry, evs: SeriesEvent[], at: number): void => {
    const { labels, annotations } = alertLabels(rule, e.source, e.labels, e.s.value);
    const put = (status: 'firing' | 'resolved', flapping: boolean, startsAt: number): void => {
      putAlert(
        state.dispatch,
        cfg.dispatch,
        {
          labels,
          annotations,
          status,
          startsAt: iso(startsAt),
          endsAt: status === 'resolved' ? iso(at) : null,
          value: e.s.value,
          flapping,
        },
        at,
      );
    };
    // Flapping holds back the resolves of an alert that was told; only an alert that met its
    // `for` is ever told (a series that flaps while pending stays pending).
    const a = state.dispatch.alerts[fingerprint(labels)];
    const told = a !== undefined && a.status === 'firing';
    for (const ev of evs) {
      if (ev === 'fired') put('firing', e.s.flapping, e.s.firingSince ?? at);
      else if (ev === 'resolved' && !e.s.flapping) put('resolved', false, at);
      else if (ev === 'flap-start' && told) put('firing', true, a.startsAt ? Date.parse(a.startsAt) : at);
      else if (ev === 'flap-end') {
        if (e.s.state === 'firing') put('firing', false, e.s.firingSince ?? at);
        else if (told) put('resolved', false, at);
      }
    }
    // A firing alert's value (and the annotations that show it) follow every sample.
    const now = state.dispatch.alerts[fingerprint(labels)];
    if (now && now.status === 'firing') {
      now.value = e.s.value;
      now.annotations = annotations;
    }
  };

  /** Ends a series: its alert, if told, resolves (a mount gone, a host or rule removed). */
  const endSeries = (key: string, at: number): void => {
    const e = state.series[key]!;
    delete state.series[key];
    const rule = rulesByName().get(e.rule);
    if (!rule) return;
    const { labels } = alertLabels(rule, e.source, e.labels, e.s.value);
    const a = state.dispatch.alerts[fingerprint(labels)];
    if (a && a.status === 'firing' && !a.event)
      putAlert(
        state.dispatch,
        cfg.dispatch,
        { ...a, status: 'resolved', endsAt: iso(at), flapping: false },
        at,
      );
  };

  /** Evaluates a batch; returns the keys of the series it had samples for. */
  const evaluate = (batch: SampleBatch, origin: 'monitor' | 'fleet' | 'synthetic'): Set<string> => {
    const seen = new Set<string>();
    const at = Date.parse(batch.at);
    if (Number.isNaN(at) || typeof batch.source !== 'string' || !Array.isArray(batch.samples)) {
      log.warn('refused a malformed sample batch', { source: String(batch.source) });
      return seen;
    }
    if (origin === 'monitor')
      state.lastSampleAt[batch.source] = Math.max(state.lastSampleAt[batch.source] ?? 0, Date.now());
    for (const rule of cfg.rules) {
      if (rule.hosts && !rule.hosts.includes(batch.source)) continue;
      for (const sample of batch.samples) {
        if (sample.name !== rule.metric) continue;
        if (!Object.entries(rule.where).every(([k, v]) => sample.labels[k] === v)) continue;
        const key = `${rule.name}|${batch.source}|${labelSetString(sample.labels)}`;
        if (typeof sample.value !== 'number' || !Number.isFinite(sample.value)) continue;
        seen.add(key);
        const entry: SeriesEntry = state.series[key] ?? {
          rule: rule.name,
          source: batch.source,
          labels: sample.labels,
          s: newSeries(),
          origin: origin === 'fleet' ? 'fleet' : 'monitor',
        };
        const { next, events: evs } = step(rule, entry.s, { value: sample.value, at });
        entry.s = next;
        if (next.state === 'inactive' && !next.flapping && next.history.indexOf('1') < 0)
          delete state.series[key];
        else state.series[key] = entry;
        dispatchEvents(rule, entry, evs, at);
      }
    }
    return seen;
  };

  /**
   * Series that a complete set of samples no longer has are gone (Prometheus' staleness): a
   * host snapshot that answered covers every host series of its host; a fleet collection
   * covers every fleet series.
   */
  const expireSeries = (seen: Set<string>, inScope: (e: SeriesEntry) => boolean, at: number): void => {
    for (const [key, e] of Object.entries(state.series)) if (inScope(e) && !seen.has(key)) endSeries(key, at);
  };

  const view = (): AlertView[] => {
    const now = Date.now();
    const out: AlertView[] = Object.values(state.dispatch.alerts).map((a) => ({
      ...a,
      state: a.status,
      silencedBy: silencedBy(state.dispatch, a.labels, now),
      inhibitedBy: inhibitedBy(state.dispatch, cfg.dispatch, a),
      ack: state.dispatch.acks[a.fingerprint] ?? null,
    }));
    const rules = rulesByName();
    for (const e of Object.values(state.series)) {
      const rule = rules.get(e.rule);
      if (!rule || e.s.state !== 'pending') continue;
      const { labels, annotations } = alertLabels(rule, e.source, e.labels, e.s.value);
      out.push({
        fingerprint: fingerprint(labels),
        labels,
        annotations,
        status: 'firing',
        state: 'pending',
        startsAt: iso(e.s.activeAt ?? now),
        endsAt: null,
        value: e.s.value,
        flapping: e.s.flapping,
        silencedBy: [],
        inhibitedBy: [],
        ack: null,
        updatedAt: iso(now),
      });
    }
    return out;
  };

  // Human decisions: validated (a refusal says why), recorded with who and when.
  const refuse = (why: string | null): void => {
    if (why) throw new Error(why);
  };
  const validateSilence = (r: SilenceRequest): void => refuse(checkSilence(r, Date.now()));
  const addSilence = (r: SilenceRequest): Silence => {
    const now = Date.now();
    const s: Silence = {
      id: uuid4().slice(0, 8),
      matchers: r.matchers,
      startsAt: r.startsAt ?? iso(now),
      endsAt: r.endsAt,
      createdBy: r.createdBy,
      comment: r.comment ?? '',
      untilResolved: !!r.untilResolved,
      silenced: Object.values(state.dispatch.alerts)
        .filter((a) => a.status === 'firing' && matchesAll(r.matchers, a.labels))
        .map((a) => a.fingerprint),
      expiredAt: null,
    };
    state.dispatch.silences.push(s);
    touchAll(state.dispatch, cfg.dispatch, now);
    eventsThisRun++;
    dirty = true;
    return s;
  };
  const validateExpire = (r: ExpireRequest): void => {
    refuse(checkExpire(r));
    const s = state.dispatch.silences.find((x) => x.id === r.id);
    if (!s) throw new Error(`no silence ${r?.id}`);
    if (s.expiredAt !== null) throw new Error(`silence ${r.id} already ended at ${s.expiredAt}`);
  };
  const expire = (r: ExpireRequest): Silence => {
    const s = state.dispatch.silences.find((x) => x.id === r.id)!;
    s.expiredAt = iso(Date.now());
    s.comment = `${s.comment}${s.comment ? '; ' : ''}expired by ${r.by || 'someone'}`;
    touchAll(state.dispatch, cfg.dispatch, Date.now());
    eventsThisRun++;
    dirty = true;
    return s;
  };
  const validateAck = (r: AckRequest): void => {
    refuse(checkAck(r));
    const a = state.dispatch.alerts[r.fingerprint];
    if (!a) throw new Error(`no alert with fingerprint ${r.fingerprint} (see hactl alerts)`);
    if (a.status !== 'firing') throw new Error(`alert ${r.fingerprint} is not firing`);
  };
  const ack = (r: AckRequest): Ack => {
    const a: Ack = { fingerprint: r.fingerprint, by: r.by, at: iso(Date.now()), comment: r.comment ?? '' };
    state.dispatch.acks[r.fingerprint] = a;
    eventsThisRun++;
    dirty = true;
    return a;
  };
  // Signals carry the same JSON for the stock CLI; a bad one is logged, not fatal.
  const guarded =
    <T>(validate: (r: T) => void, apply: (r: T) => unknown) =>
    (r: T): void => {
      try {
        validate(r);
        apply(r);
      } catch (err) {
        log.warn('refused', { error: (err as Error).message });
      }
    };

  setHandler(addSilenceUpdate, addSilence, { validator: validateSilence });
  setHandler(expireSilenceUpdate, expire, { validator: validateExpire });
  setHandler(ackUpdate, ack, { validator: validateAck });
  setHandler(addSilenceSignal, guarded(validateSilence, addSilence));
  setHandler(expireSilenceSignal, guarded(validateExpire, expire));
  setHandler(ackSignal, guarded(validateAck, ack));
  setHandler(samplesSignal, (b) => {
    inbox.push(b);
    eventsThisRun++;
  });
  setHandler(eventSignal, (e) => {
    eventsThisRun++;
    const why = checkEvent(e);
    if (why) log.warn('refused an event', { error: why });
    else events.push(e);
  });
  setHandler(alertsQuery, () => ({
    alerts: view(),
    silences: state.dispatch.silences,
    rules: cfg.rules.length,
    series: Object.keys(state.series).length,
    notificationsSent: state.sent,
  }));
  onReconfigure<AlertsManagerInput>((next) => {
    const now = Date.now();
    const goneHosts = Object.keys(cfg.monitors).filter((h) => !(h in next.monitors));
    cfg = {
      rules: next.rules,
      dispatch: next.dispatch,
      monitors: next.monitors,
      staleAfterMs: next.staleAfterMs,
      fleetIntervalMs: next.fleetIntervalMs,
    };
    // Groups follow the new routes before anything else is filed.
    reroute(state.dispatch, cfg.dispatch, now);
    // Series of rules that no longer exist go; their alerts resolve.
    const names = new Set(cfg.rules.map((r) => r.name));
    for (const [k, e] of Object.entries(state.series)) if (!names.has(e.rule)) delete state.series[k];
    for (const a of Object.values(state.dispatch.alerts)) {
      if (a.status === 'firing' && !a.event && a.labels.alertname && !names.has(a.labels.alertname))
        putAlert(state.dispatch, cfg.dispatch, { ...a, status: 'resolved', endsAt: iso(now) }, now);
    }
    // Hosts no longer in the config: their series end, their alerts resolve.
    for (const [k, e] of Object.entries(state.series)) if (goneHosts.includes(e.source)) endSeries(k, now);
    for (const h of goneHosts) {
      delete state.lastSampleAt[h];
      delete state.subscribedAt[h];
    }
    state.subscribedAt = {};
    dirty = true;
  });

  const subscribe = async (now: number): Promise<void> => {
    for (const [host, monitor] of Object.entries(cfg.monitors)) {
      const last = Math.max(state.lastSampleAt[host] ?? 0, state.subscribedAt[host] ?? 0);
      if (state.subscribedAt[host] !== undefined && now - last < cfg.staleAfterMs) continue;
      state.subscribedAt[host] = now;
      try {
        await getExternalWorkflowHandle(monitor).signal(subscribeSignal, { workflowId: me });
      } catch (err) {
        log.info('host monitor not there yet', { host, error: (err as Error).message });
      }
    }
  };

  /** Hosts silent for staleAfter count as down: one host.up = 0 sample each staleAfter. */
  const stale = (now: number): void => {
    for (const host of Object.keys(cfg.monitors)) {
      const last = state.lastSampleAt[host];
      if (last !== undefined && now - last >= cfg.staleAfterMs) {
        evaluate(
          { source: host, at: iso(now), samples: [{ name: 'host.up', labels: {}, value: 0 }] },
          'synthetic',
        );
        state.lastSampleAt[host] = now;
      }
    }
  };

  const describe = (): void => {
    const firing = Object.values(state.dispatch.alerts).filter((a) => a.status === 'firing');
    const listed = firing
      .slice(0, MAX_LISTED)
      .map((a) => `${a.labels.alertname ?? '?'}@${a.labels.host ?? '?'}`);
    upsertSearchAttributes([
      { key: SA_KEYS.state, value: firing.length ? 'firing' : 'ok' },
      { key: SA_KEYS.alerts, value: listed },
    ]);
    setCurrentDetails(
      firing.length
        ? `**${firing.length} firing**: ${listed.slice(0, 20).join(', ')}${firing.length > 20 ? ', …' : ''}`
        : `no alert firing; ${cfg.rules.length} rule(s), ${Object.keys(state.series).length} series`,
    );
  };

  for (;;) {
    const now = Date.now();
    await subscribe(now);
    stale(now);
    if (cfg.fleetIntervalMs !== null && now >= nextFleetAt) {
      nextFleetAt = now + cfg.fleetIntervalMs;
      try {
        const seen = new Set<string>();
        for (const b of await alertsCollectFleet()) for (const k of evaluate(b, 'fleet')) seen.add(k);
        expireSeries(seen, (e) => e.origin === 'fleet', Date.now());
      } catch (err) {
        log.warn('could not read fleet metrics', { error: (err as Error).message });
      }
    }
    for (const b of inbox.splice(0)) {
      const seen = evaluate(b, 'monitor');
      // A snapshot that answered has every series of its host; one that did not has none.
      if (b.samples?.some((x) => x.name === 'host.up' && x.value === 1))
        expireSeries(seen, (e) => e.origin === 'monitor' && e.source === b.source, Date.parse(b.at));
    }
    for (const e of events.splice(0)) {
      const at = Date.now();
      const labels = { ...e.labels };
      putAlert(
        state.dispatch,
        cfg.dispatch,
        {
          labels,
          annotations: e.annotations ?? {},
          status: 'firing',
          startsAt: iso(at),
          endsAt: null,
          value: null,
          flapping: false,
          event: true,
        },
        at,
      );
    }
    // Notifications go to their receivers' notifiers; one that cannot be signalled (not
    // started yet, or being restarted by an apply) keeps its notifications here, in order.
    const outbox = (state.outbox ??= []);
    outbox.push(...flushDue(state.dispatch, cfg.dispatch, Date.now()));
    const blocked = new Set<string>();
    const kept: Notification[] = [];
    for (const n of outbox.splice(0)) {
      if (blocked.has(n.receiver) || !(n.receiver in cfg.dispatch.receivers)) {
        if (n.receiver in cfg.dispatch.receivers) kept.push(n);
        else
          log.warn('dropping a notification for a receiver no longer configured', { receiver: n.receiver });
        continue;
      }
      try {
        await getExternalWorkflowHandle(ALERTS_IDS.notifier(n.receiver)).signal(notifySignal, n);
        state.sent++;
      } catch (err) {
        blocked.add(n.receiver);
        kept.push(n);
        log.error('cannot reach the notifier of a receiver; keeping its notifications', {
          receiver: n.receiver,
          error: (err as Error).message,
        });
      }
    }
    outbox.unshift(...kept.slice(-MAX_OUTBOX));
    describe();
    if (
      eventsThisRun >= (input.maxEventsPerRun ?? MAX_EVENTS_PER_RUN) ||
      workflowInfo().continueAsNewSuggested
    ) {
      await condition(allHandlersFinished);
      // What arrived while notifications went out is handed over, not dropped: an event
      // (a failover, a finished DR step) is told once and only here.
      await continueAsNew<typeof alertsManagerWorkflow>({
        ...cfg,
        state,
        ...(input.maxEventsPerRun ? { maxEventsPerRun: input.maxEventsPerRun } : {}),
        ...(inbox.length || events.length ? { pending: { samples: inbox, events } } : {}),
      });
    }
    dirty = false;
    const wakeAt = [
      nextDue(state.dispatch),
      outbox.length ? Date.now() + OUTBOX_RETRY_MS : null,
      cfg.fleetIntervalMs !== null ? nextFleetAt : null,
      ...Object.keys(cfg.monitors).map((h) =>
        state.lastSampleAt[h] !== undefined ? state.lastSampleAt[h] + cfg.staleAfterMs : null,
      ),
    ].filter((t): t is number => t !== null);
    const woken = (): boolean => dirty || inbox.length > 0 || events.length > 0;
    if (wakeAt.length) await condition(woken, Math.max(1, Math.min(...wakeAt) - Date.now()));
    else await condition(woken);
  }
}
