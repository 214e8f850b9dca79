import { once } from 'node:events';

export const ROW_FORMATS = ['table', 'json', 'tsv'] as const;
export type RowFormat = (typeof ROW_FORMATS)[number];

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Column widths over some rows, without spreading them into one call (a stack overflow past ~100k rows). */
function widthsOf(columns: readonly string[], body: readonly (readonly string[])[]): number[] {
  const widths = columns.map((column) => column.length);
  for (const line of body) line.forEach((value, index) => (widths[index] = Math.max(widths[index] ?? 0, value.length)));
  return widths;
}

const renderLine = (line: readonly string[], widths: readonly number[]) => `${line.map((value, index) => value.padEnd(widths[index] ?? 0)).join('  ').trimEnd()}\n`;

/** Rows as an aligned table with a header, JSON lines, or tab-separated values with a header. */
export function formatRows(records: readonly object[], format: RowFormat): string {
  const rows = records as readonly Record<string, unknown>[];
  if (format === 'json') return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (columns.length === 0) return '';
  const body = rows.map((row) => columns.map((column) => cell(row[column])));
  if (format === 'tsv') return [columns, ...body].map((line) => `${line.join('\t')}\n`).join('');
  const widths = widthsOf(columns, body);
  return [renderLine(columns, widths), renderLine(widths.map((width) => '-'.repeat(width)), widths), ...body.map((line) => renderLine(line, widths))].join('');
}

/** How many rows the table format measures before it prints its header: its column widths come from them. */
export const TABLE_SAMPLE_ROWS = 1000;

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text !== '' && !out.write(text)) await once(out, 'drain');
}

/**
 * Prints rows as they arrive, in any format, holding at most one batch (and, for the table,
 * its first TABLE_SAMPLE_ROWS rows): a result of millions of rows never sits in memory. The
 * table's widths come from those first rows; a longer value later widens its own line only.
 */
export async function writeRows(batches: AsyncIterable<readonly object[]>, format: RowFormat, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  let columns: string[] | undefined;
  let widths: number[] | undefined;
  const sample: string[][] = [];
  const printTableHead = async (known: readonly string[]) => {
    const measured = widthsOf(known, sample);
    widths = measured;
    await write(out, [known, measured.map((width) => '-'.repeat(width)), ...sample].map((line) => renderLine(line, measured)).join(''));
  };
  for await (const batch of batches) {
    const rows = batch as readonly Record<string, unknown>[];
    if (format === 'json') {
      await write(out, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
      continue;
    }
    const first = rows[0];
    if (first === undefined) continue;
    if (columns === undefined) {
      columns = Object.keys(first);
      if (format === 'tsv') await write(out, `${columns.join('\t')}\n`);
    }
    const known = columns;
    let body = rows.map((row) => known.map((column) => cell(row[column])));
    if (format === 'tsv') {
      await write(out, body.map((line) => `${line.join('\t')}\n`).join(''));
      continue;
    }
    if (widths === undefined) {
      const taken = Math.min(body.length, TABLE_SAMPLE_ROWS - sample.length);
      sample.push(...body.slice(0, taken));
      body = body.slice(taken);
      if (sample.length < TABLE_SAMPLE_ROWS) continue;
      await printTableHead(known);
    }
    const fixed = widths ?? [];
    await write(out, body.map((line) => renderLine(line, fixed)).join(''));
  }
  if (format === 'table' && columns !== undefined && widths === undefined) await printTableHead(columns);
}
