// Sizes as operators write them: "512KiB", "50MiB", "1.5GB". Pure.

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** "50MiB", "1.5GB", "512KiB", "4096" (bytes) -> bytes, or an error message. */
export function parseSize(text: string): { bytes: number } | { error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = SIZE_UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) {
    return { error: `"${text}" is not a size; write a number with a unit such as 512KiB, 50MiB or 1GB` };
  }
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes < 1 || !Number.isSafeInteger(bytes)) return { error: `"${text}" is out of range` };
  return { bytes };
}
