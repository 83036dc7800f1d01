/** Prints rows as aligned columns with a header, like `kubectl get`. */
export function printTable(
  header: string[],
  rows: string[][],
  out: (line: string) => void = (l) => console.log(l),
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  out(line(header));
  for (const r of rows) out(line(r));
}
