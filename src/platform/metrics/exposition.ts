// The Prometheus text exposition format (version 0.0.4), rendered from plain data. Pure: the
// state exporter and its tests share it. https://prometheus.io/docs/instrumenting/exposition_formats/

export type MetricType = 'gauge' | 'counter';

export interface Sample {
  labels?: Record<string, string>;
  /** null or undefined: not known now, so the series is left out (never rendered as 0). */
  value: number | boolean | null | undefined;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value inside double quotes: backslash, double quote and line feed escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped (quotes are fine there). */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Prometheus reads it: NaN, +Inf, -Inf, or a number (booleans as 1 and 0). */
export function formatValue(v: number | boolean): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Throws on a name Prometheus would reject, a counter without _total, or a repeated series. */
function check(f: MetricFamily): void {
  if (!METRIC_NAME.test(f.name)) throw new Error(`invalid metric name "${f.name}"`);
  if (f.type === 'counter' && !f.name.endsWith('_total'))
    throw new Error(`counter ${f.name} must end in _total`);
  if (f.type !== 'counter' && f.name.endsWith('_total'))
    throw new Error(`${f.type} ${f.name} must not end in _total`);
  const seen = new Set<string>();
  for (const s of f.samples) {
    for (const l of Object.keys(s.labels ?? {})) {
      if (!LABEL_NAME.test(l) || l.startsWith('__'))
        throw new Error(`invalid label name "${l}" on ${f.name}`);
    }
    const key = JSON.stringify(Object.entries(s.labels ?? {}).sort(([a], [b]) => a.localeCompare(b)));
    if (seen.has(key)) throw new Error(`${f.name} has the series ${key} twice`);
    seen.add(key);
  }
}

function series(name: string, s: Sample): string {
  const labels = Object.entries(s.labels ?? {});
  const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
  return `${name}${l} ${formatValue(s.value as number | boolean)}`;
}

/**
 * The exposition text of these families, in order: HELP and TYPE of each (even when it has no
 * sample now, so that the names are documented), then its samples. Samples without a value are
 * left out. Throws on invalid names (a bug of ours, not of the data).
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const names = new Set<string>();
  const lines: string[] = [];
  for (const f of families) {
    check(f);
    if (names.has(f.name)) throw new Error(`metric family ${f.name} twice`);
    names.add(f.name);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) if (s.value !== null && s.value !== undefined) lines.push(series(f.name, s));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Seconds since the epoch of an ISO time; null for null or an unreadable time. */
export function epochSeconds(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}
