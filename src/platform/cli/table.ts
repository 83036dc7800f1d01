/** Rows as aligned columns with a header, like `kubectl get`. Pure: returns the lines. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Prints formatTable's lines. */
export function printTable(
  header: string[],
  rows: string[][],
  out: (line: string) => void = (l) => console.log(l),
): void {
  for (const l of formatTable(header, rows)) out(l);
}
