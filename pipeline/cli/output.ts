export const ROW_FORMATS = ['table', 'json', 'tsv'] as const;
export type RowFormat = (typeof ROW_FORMATS)[number];

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Rows as an aligned table with a header, JSON lines, or tab-separated values with a header. */
export function formatRows(records: readonly object[], format: RowFormat): string {
  const rows = records as readonly Record<string, unknown>[];
  if (format === 'json') return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (columns.length === 0) return '';
  const body = rows.map((row) => columns.map((column) => cell(row[column])));
  if (format === 'tsv') return [columns, ...body].map((line) => `${line.join('\t')}\n`).join('');
  const widths = columns.map((column, index) => Math.max(column.length, ...body.map((line) => (line[index] ?? '').length)));
  const render = (line: readonly string[]) => `${line.map((value, index) => value.padEnd(widths[index] ?? 0)).join('  ').trimEnd()}\n`;
  return [render(columns), render(widths.map((width) => '-'.repeat(width))), ...body.map(render)].join('');
}
