/** Rows of cells as aligned text lines (two spaces between columns), for the CLI's tables. */
export function alignColumns(rows: readonly (readonly string[])[], leftAligned: readonly number[] = []): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (leftAligned.includes(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
}
