// Progress of long work on the terminal: the line for a sample (files, bytes, rate, ETA), the
// rate over a moving window, and the decisions that depend on where stderr goes: one line
// rewritten in place on a terminal, plain lines (at most every few seconds, or when the step
// changes) otherwise. Colour follows https://no-color.org: NO_COLOR (any non-empty value) turns
// it off; FORCE_COLOR asks for it where it would otherwise be off. Pure, except the printer,
// which writes through the function it is given.

export interface ProgressSample {
  /** When the worker reported it (ms since the epoch). */
  at: number;
  /** What is going on: "archiving", "verifying 2/5", "extracting". */
  label: string;
  files?: number;
  filesTotal?: number;
  bytes?: number;
  bytesTotal?: number;
  /** A short remark after the numbers (the current file, what a step waits for). */
  note?: string;
}

type Env = Record<string, string | undefined>;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1288490188 -> "1.2 GiB"; binary units, one decimal below 100, none above. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v < 100 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

/** 40s, 3m05s, 2h01m, 3d04h: what an ETA needs, two units at most. */
export function formatEta(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/**
 * Bytes per second over the last `windowMs` of samples. A sample that goes backwards (a new
 * step counts from zero) starts the window over; samples at the same time are one.
 */
export class RateWindow {
  private points: Array<{ at: number; bytes: number }> = [];

  constructor(private readonly windowMs = 10_000) {}

  add(at: number, bytes: number): void {
    const last = this.points.at(-1);
    if (last && (bytes < last.bytes || at < last.at)) this.points = [];
    else if (last && at === last.at) this.points.pop();
    this.points.push({ at, bytes });
    // Keep one point at or before the window's start, so that the window spans windowMs.
    while (this.points.length > 2 && this.points[1]!.at <= at - this.windowMs) this.points.shift();
  }

  reset(): void {
    this.points = [];
  }

  /** null until two samples at least 500 ms apart. */
  rate(): number | null {
    const first = this.points[0];
    const last = this.points.at(-1);
    if (!first || !last || last.at - first.at < 500) return null;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

/** Milliseconds left, when the total is known and the rate is positive. */
export function etaMs(done: number, total: number | undefined, rate: number | null): number | null {
  if (total === undefined || rate === null || rate <= 0) return null;
  return (Math.max(0, total - done) / rate) * 1000;
}

export interface Paint {
  label(s: string): string;
  dim(s: string): string;
  warn(s: string): string;
}

const ansi =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`;
export const NO_PAINT: Paint = { label: (s) => s, dim: (s) => s, warn: (s) => s };
export const PAINT: Paint = { label: ansi(36, 39), dim: ansi(2, 22), warn: ansi(33, 39) };

/** `files 120/400  bytes 1.2 GiB/3.0 GiB  45.3 MiB/s  ETA 40s`, after the sample's label. */
export function renderSample(s: ProgressSample, rate: number | null, paint: Paint = NO_PAINT): string {
  const parts = [paint.label(s.label)];
  const of = (n: number, total: number | undefined, f: (n: number) => string): string =>
    total === undefined ? f(n) : `${f(n)}/${f(total)}`;
  if (s.files !== undefined) parts.push(`files ${of(s.files, s.filesTotal, String)}`);
  if (s.bytes !== undefined) {
    parts.push(`bytes ${of(s.bytes, s.bytesTotal, formatBytes)}`);
    if (rate !== null) parts.push(`${formatBytes(rate)}/s`);
    const eta = etaMs(s.bytes, s.bytesTotal, rate);
    if (eta !== null) parts.push(`ETA ${formatEta(eta)}`);
  }
  if (s.note) parts.push(paint.dim(s.note));
  return parts.join('  ');
}

/**
 * Tracks the rate of successive samples and renders each; a new label (the next step) starts
 * the rate over.
 */
export class SampleRenderer {
  private readonly window: RateWindow;
  private label = '';

  constructor(windowMs = 10_000) {
    this.window = new RateWindow(windowMs);
  }

  render(s: ProgressSample, paint: Paint = NO_PAINT): string {
    if (s.label !== this.label) {
      this.window.reset();
      this.label = s.label;
    }
    if (s.bytes !== undefined) this.window.add(s.at, s.bytes);
    return renderSample(s, s.bytes !== undefined ? this.window.rate() : null, paint);
  }
}

/** no-color.org: NO_COLOR set and not empty turns colour off; FORCE_COLOR (not 0/false) turns it on. */
export function colourWanted(env: Env, isTTY: boolean): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !['0', 'false'].includes(force.toLowerCase());
  return isTTY && env.TERM !== 'dumb';
}

export interface OutputMode {
  /** One line rewritten in place (a terminal, not --json, not TERM=dumb). */
  live: boolean;
  colour: boolean;
}

/** How progress is shown on a stream: live on a terminal; plain lines when piped or with --json. */
export function outputMode(o: { isTTY: boolean; json?: boolean; env: Env }): OutputMode {
  const live = o.isTTY && !o.json && o.env.TERM !== 'dumb';
  // JSON output is read by programs: no escapes in anything printed beside it.
  return { live, colour: !o.json && colourWanted(o.env, o.isTTY) };
}

/** Cuts a line to the terminal's width (escapes do not count), so that \r rewrites all of it. */
export function fitWidth(line: string, columns: number | undefined): string {
  if (!columns || columns < 10) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      if (end > i) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= columns - 1) continue;
    out += line[i];
    visible++;
  }
  return out;
}

/**
 * Plain mode: print when the step (`key`) changed, or when `everyMs` passed since the last
 * line and the line says something new.
 */
export function plainLineDue(
  last: { at: number; key: string; line: string } | null,
  now: number,
  key: string,
  line: string,
  everyMs: number,
): boolean {
  if (!last) return true;
  if (key !== last.key) return true;
  return line !== last.line && now - last.at >= everyMs;
}

export const CLEAR_LINE = '\r\x1b[2K';

/** Writes progress lines as the mode says. The caller renders; this decides when and how. */
export class ProgressPrinter {
  private last: { at: number; key: string; line: string } | null = null;
  private onScreen = false;

  constructor(
    private readonly write: (s: string) => void,
    readonly mode: OutputMode,
    private readonly opts: { everyMs?: number; columns?: () => number | undefined; now?: () => number } = {},
  ) {}

  update(line: string, key: string): void {
    const now = (this.opts.now ?? Date.now)();
    if (this.mode.live) {
      this.write(`${CLEAR_LINE}${fitWidth(line, this.opts.columns?.())}`);
      this.onScreen = true;
      this.last = { at: now, key, line };
      return;
    }
    if (!plainLineDue(this.last, now, key, line, this.opts.everyMs ?? 5000)) return;
    this.write(`${line}\n`);
    this.last = { at: now, key, line };
  }

  /** The final line (when given) replaces the live one; the cursor ends on a new line. */
  finish(line?: string): void {
    if (this.mode.live) {
      if (line !== undefined) this.write(`${CLEAR_LINE}${line}\n`);
      else if (this.onScreen) this.write('\n');
    } else if (line !== undefined && line !== this.last?.line) {
      this.write(`${line}\n`);
    }
    this.onScreen = false;
  }
}
