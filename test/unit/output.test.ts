import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatRows, ROW_FORMATS, TABLE_SAMPLE_ROWS, writeRows, type RowFormat } from '../../pipeline/cli/output.js';

const rows = [
  { name: 'Большая Пикча', stores: 30, tags: ['a', 'b'], manager: null },
  { name: 'Маленькая Пикча', stores: 15, tags: [], manager: 'x' },
];

describe('formatRows', () => {
  it('aligns a table under a header', () => {
    expect(formatRows(rows, 'table')).toBe(
      [
        'name             stores  tags       manager',
        '---------------  ------  ---------  -------',
        'Большая Пикча    30      ["a","b"]  NULL',
        'Маленькая Пикча  15      []         x',
        '',
      ].join('\n'),
    );
  });

  it('writes JSON lines and TSV', () => {
    expect(formatRows(rows, 'json').trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual(rows);
    expect(formatRows(rows, 'tsv').split('\n')[0]).toBe('name\tstores\ttags\tmanager');
  });

  it('prints nothing for no rows', () => {
    expect(formatRows([], 'table')).toBe('');
  });
});

describe('writeRows', () => {
  async function written(batches: readonly (readonly object[])[], format: RowFormat): Promise<string> {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    await writeRows(Readable.from(batches) as AsyncIterable<readonly object[]>, format, out);
    return text;
  }

  it('prints what formatRows prints, whatever the batches, in every format', async () => {
    for (const format of ROW_FORMATS) {
      expect(await written([rows.slice(0, 1), [], rows.slice(1)], format), format).toBe(formatRows(rows, format));
      expect(await written([], format), format).toBe('');
    }
  });

  it('takes a table\'s widths from its first rows and prints its header once', async () => {
    const many = Array.from({ length: TABLE_SAMPLE_ROWS + 5 }, (_, index) => ({ n: index < TABLE_SAMPLE_ROWS ? 'ab' : 'wider-value', k: index }));
    const lines = (await written([many.slice(0, 700), many.slice(700)], 'table')).split('\n');
    expect(lines.slice(0, 3)).toEqual(['n   k', '--  ---', 'ab  0']);
    expect(lines.filter((line) => line.startsWith('n '))).toHaveLength(1);
    expect(lines.at(-2)).toBe(`wider-value  ${TABLE_SAMPLE_ROWS + 4}`);
    expect(lines).toHaveLength(TABLE_SAMPLE_ROWS + 5 + 3);
  });
});
