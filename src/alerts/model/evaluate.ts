// The state machine of one alert series (a rule on one host and one label set of its metric),
// with Prometheus' meaning of `for` and `keepFiringFor`, hysteresis, and Nagios-style flap
// detection. Pure and deterministic: the alerts manager workflow runs it, unit tests table it.
import type { AlertRule, Operator, SeriesState } from './types';

/** Nagios' flap detection: state changes over the last 21 evaluations, weighted to the newest. */
export const FLAP = { window: 21, startAbovePercent: 30, stopBelowPercent: 20 } as const;

export type SeriesEvent = 'fired' | 'resolved' | 'flap-start' | 'flap-end';

export function newSeries(): SeriesState {
  return {
    state: 'inactive',
    activeAt: null,
    firingSince: null,
    badSamples: 0,
    lastBadAt: null,
    value: 0,
    history: '',
    flapping: false,
  };
}

export function compare(op: Operator, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/**
 * Whether the rule's condition holds for `value`. A firing alert with a `resolve` threshold
 * (hysteresis) keeps holding until the value is past `resolve` on the good side: `> 90,
 * resolve 85` fires above 90 and resolves only below 85.
 */
export function conditionHolds(rule: AlertRule, firing: boolean, value: number): boolean {
  if (!firing || rule.resolve === null) return compare(rule.op, value, rule.threshold);
  switch (rule.op) {
    case '>':
    case '>=':
      return !(value < rule.resolve);
    case '<':
    case '<=':
      return !(value > rule.resolve);
    default:
      return compare(rule.op, value, rule.threshold);
  }
}

/**
 * Percent state change over the history (newest last), as Nagios computes it: each of the 20
 * possible changes in 21 evaluations counts, the oldest with weight 0.8 rising to 1.2 for the
 * newest. A short history counts as stable before its first entry.
 */
export function flapPercent(history: string): number {
  const h = history.slice(-FLAP.window);
  const slots = FLAP.window - 1;
  const offset = slots - (h.length - 1); // missing (older) slots have no change
  let sum = 0;
  for (let i = 1; i < h.length; i++) {
    if (h[i] === h[i - 1]) continue;
    const slot = offset + i - 1; // 0 oldest .. slots-1 newest
    sum += 0.8 + (0.4 * slot) / (slots - 1);
  }
  return (sum / slots) * 100;
}

function ready(rule: AlertRule, s: SeriesState, at: number): boolean {
  if ('samples' in rule.for) return s.badSamples >= rule.for.samples;
  return s.activeAt !== null && at - s.activeAt >= rule.for.ms;
}

/** One evaluation of a series with a new sample: the next state and what happened. */
export function step(
  rule: AlertRule,
  prev: SeriesState,
  sample: { value: number; at: number },
): { next: SeriesState; events: SeriesEvent[] } {
  const { value, at } = sample;
  const bad = conditionHolds(rule, prev.state === 'firing', value);
  const next: SeriesState = {
    ...prev,
    value,
    history: (prev.history + (bad ? '1' : '0')).slice(-FLAP.window),
  };
  const events: SeriesEvent[] = [];
  const clear = (): void => {
    next.state = 'inactive';
    next.activeAt = null;
    next.firingSince = null;
    next.badSamples = 0;
  };

  if (bad) {
    next.lastBadAt = at;
    next.badSamples = prev.state === 'inactive' ? 1 : prev.badSamples + 1;
    if (prev.state === 'inactive') next.activeAt = at;
    if (prev.state !== 'firing') {
      if (ready(rule, next, at)) {
        next.state = 'firing';
        next.firingSince = at;
        events.push('fired');
      } else next.state = 'pending';
    }
  } else if (prev.state === 'pending') {
    clear(); // a pending alert whose condition stops is dropped, never resolved
  } else if (prev.state === 'firing') {
    const held =
      rule.keepFiringForMs > 0 && prev.lastBadAt !== null && at - prev.lastBadAt < rule.keepFiringForMs;
    if (held) next.badSamples = 0;
    else {
      clear();
      events.push('resolved');
    }
  }

  const pct = flapPercent(next.history);
  if (!prev.flapping && pct > FLAP.startAbovePercent) {
    next.flapping = true;
    events.push('flap-start');
  } else if (prev.flapping && pct < FLAP.stopBelowPercent) {
    next.flapping = false;
    events.push('flap-end');
  }
  return { next, events };
}
