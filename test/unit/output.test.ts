import { describe, expect, it } from 'vitest';
import { formatRows } from '../../pipeline/cli/output.js';

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
