// alerts:manager — one long-running controller for the fleet's alerts. It receives every host's
// samples from the host monitors (it subscribes to them), evaluates the rules series by series,
// and does what Alertmanager does with the result: routing, grouping, silences, acks and
// inhibition; each notification goes to the receiver's notify:<receiver> controller.
//
// One controller rather than rules inside each host monitor: grouping, inhibition (a host-down
// alert holds that host's other alerts) and silences need one view of every alert, and the
// host monitors stay small and know nothing of rules.
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
  silencedBy,
  touchAll,
} from '../../src/alerts/model/dispatch';
import { newSeries, step } from '../../src/alerts/model/evaluate';
import type { SeriesEvent } from '../../src/alerts/model/evaluate';
import { ALERTS_IDS } from '../../src/alerts/model/ids';
import { fingerprint, labelSetString, matchesAll } from '../../src/alerts/model/labels';
import type { Ack, AlertRule, SeriesState, Silence } from '../../src/alerts/model/types';
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
}

export interface ManagerState {
  series: Record<string, SeriesEntry>;
  dispatch: DispatchState;
  /** Last samples per host (ms), and last subscription sent. */
  lastSampleAt: Record<string, number>;
  subscribedAt: Record<string, number>;
  sent: number;
}

export interface AlertsManagerInput extends AlertsManagerConfig {
  state?: ManagerState;
  /** Signals and updates per run before continuing as new; default 2000 (tests use fewer). */
  maxEventsPerRun?: number;
}

const MAX_EVENTS_PER_RUN = 2000;
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
  const inbox: SampleBatch[] = [];
  const events: EventRequest[] = [];
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
    for (const ev of evs) {
      if (ev === 'fired' && !e.s.flapping) put('firing', false, e.s.firingSince ?? at);
      else if (ev === 'resolved' && !e.s.flapping) put('resolved', false, at);
      else if (ev === 'flap-start') put('firing', true, at);
      else if (ev === 'flap-end') {
        if (e.s.state === 'firing') put('firing', false, e.s.firingSince ?? at);
        else put('resolved', false, at);
      }
    }
    // A firing alert's value (and the annotations that show it) follow every sample.
    const a = state.dispatch.alerts[fingerprint(labels)];
    if (a && a.status === 'firing') {
      a.value = e.s.value;
      a.annotations = annotations;
    }
  };

  const evaluate = (batch: SampleBatch, fromMonitor: boolean): void => {
    const at = Date.parse(batch.at);
    if (fromMonitor)
      state.lastSampleAt[batch.source] = Math.max(state.lastSampleAt[batch.source] ?? 0, Date.now());
    for (const rule of cfg.rules) {
      if (rule.hosts && !rule.hosts.includes(batch.source)) continue;
      for (const sample of batch.samples) {
        if (sample.name !== rule.metric) continue;
        if (!Object.entries(rule.where).every(([k, v]) => sample.labels[k] === v)) continue;
        const key = `${rule.name}|${batch.source}|${labelSetString(sample.labels)}`;
        const entry: SeriesEntry = state.series[key] ?? {
          rule: rule.name,
          source: batch.source,
          labels: sample.labels,
          s: newSeries(),
        };
        const { next, events: evs } = step(rule, entry.s, { value: sample.value, at });
        entry.s = next;
        if (next.state === 'inactive' && !next.flapping && next.history.indexOf('1') < 0)
          delete state.series[key];
        else state.series[key] = entry;
        dispatchEvents(rule, entry, evs, at);
      }
    }
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
  const validateSilence = (r: SilenceRequest): void => {
    if (!Array.isArray(r?.matchers) || r.matchers.length === 0)
      throw new Error('a silence needs at least one matcher');
    const start = r.startsAt ? Date.parse(r.startsAt) : Date.now();
    const end = Date.parse(r.endsAt);
    if (Number.isNaN(start) || Number.isNaN(end))
      throw new Error('startsAt and endsAt must be ISO 8601 times');
    if (end <= Math.max(start, Date.now()))
      throw new Error(`the silence would end (${r.endsAt}) before it starts or in the past`);
    if (!r.createdBy) throw new Error('createdBy is required: who silences');
    for (const m of r.matchers) {
      if (m.op === '=~' || m.op === '!~') new RegExp(m.value);
    }
  };
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
    const s = state.dispatch.silences.find((x) => x.id === r?.id);
    if (!s) throw new Error(`no silence ${r?.id}`);
    if (s.expiredAt !== null) throw new Error(`silence ${r.id} already ended at ${s.expiredAt}`);
  };
  const expire = (r: ExpireRequest): Silence => {
    const s = state.dispatch.silences.find((x) => x.id === r.id)!;
    s.expiredAt = iso(Date.now());
    s.comment = `${s.comment}${s.comment ? '; ' : ''}expired by ${r.by}`;
    touchAll(state.dispatch, cfg.dispatch, Date.now());
    eventsThisRun++;
    dirty = true;
    return s;
  };
  const validateAck = (r: AckRequest): void => {
    const a = state.dispatch.alerts[r?.fingerprint];
    if (!a) throw new Error(`no alert with fingerprint ${r?.fingerprint} (see hactl alerts)`);
    if (a.status !== 'firing') throw new Error(`alert ${r.fingerprint} is not firing`);
    if (!r.by) throw new Error('by is required: who acknowledges');
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
    events.push(e);
    eventsThisRun++;
  });
  setHandler(alertsQuery, () => ({
    alerts: view(),
    silences: state.dispatch.silences,
    rules: cfg.rules.length,
    series: Object.keys(state.series).length,
    notificationsSent: state.sent,
  }));
  onReconfigure<AlertsManagerInput>((next) => {
    cfg = {
      rules: next.rules,
      dispatch: next.dispatch,
      monitors: next.monitors,
      staleAfterMs: next.staleAfterMs,
      fleetIntervalMs: next.fleetIntervalMs,
    };
    // Series of rules that no longer exist go; their alerts resolve.
    const names = new Set(cfg.rules.map((r) => r.name));
    for (const [k, e] of Object.entries(state.series)) if (!names.has(e.rule)) delete state.series[k];
    for (const a of Object.values(state.dispatch.alerts)) {
      if (a.status === 'firing' && !a.event && a.labels.alertname && !names.has(a.labels.alertname))
        putAlert(
          state.dispatch,
          cfg.dispatch,
          { ...a, status: 'resolved', endsAt: iso(Date.now()) },
          Date.now(),
        );
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
        evaluate({ source: host, at: iso(now), samples: [{ name: 'host.up', labels: {}, value: 0 }] }, false);
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
        for (const b of await alertsCollectFleet()) evaluate(b, false);
      } catch (err) {
        log.warn('could not read fleet metrics', { error: (err as Error).message });
      }
    }
    for (const b of inbox.splice(0)) evaluate(b, true);
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
    const out = flushDue(state.dispatch, cfg.dispatch, Date.now());
    for (const n of out) {
      try {
        await getExternalWorkflowHandle(ALERTS_IDS.notifier(n.receiver)).signal(notifySignal, n);
        state.sent++;
      } catch (err) {
        log.error('no notifier for receiver; run hactl apply', {
          receiver: n.receiver,
          error: (err as Error).message,
        });
      }
    }
    describe();
    if (
      eventsThisRun >= (input.maxEventsPerRun ?? MAX_EVENTS_PER_RUN) ||
      workflowInfo().continueAsNewSuggested
    ) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof alertsManagerWorkflow>({
        ...cfg,
        state,
        ...(input.maxEventsPerRun ? { maxEventsPerRun: input.maxEventsPerRun } : {}),
      });
    }
    dirty = false;
    const wakeAt = [
      nextDue(state.dispatch),
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
