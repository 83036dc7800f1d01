// One place for how numbers look in hactl's output: bytes (IEC units), rates, durations, ages
// and percentages. Pure, unit-tested.
import { formatDuration } from './duration';

export { formatDuration };

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Bytes per second, "-" when unknown (the first sample after a worker starts). */
export function formatRate(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  return `${formatBytes(Math.round(n))}/s`;
}

/** "-" when unknown, else the age as "5m3s ago". */
export function formatAge(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '-' : `${formatDuration(seconds * 1000)} ago`;
}

/** A duration in seconds, "-" when unknown. */
export function formatSeconds(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '-' : formatDuration(seconds * 1000);
}

/** 42.4 -> "42%", "-" when unknown. */
export function formatPercent(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : `${n.toFixed(0)}%`;
}
