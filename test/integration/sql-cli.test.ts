import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A V8 heap far smaller than the results below: holding a whole result would end the process. */
const SMALL_HEAP = { NODE_OPTIONS: '--max-old-space-size=128' };

describe('piccha sql with large results and several statements', () => {
  const state = makeTempDir('sql-cli');
  afterAll(() => state.remove());
  const env = () => ({ PICCHA_STATE_DIR: state.path });

  it('streams 2,000,000 rows as JSON and TSV in a small heap', async () => {
    const rows = 2_000_000;
    const query = `SELECT number AS n, concat('row-', toString(number)) AS label FROM numbers(${rows})`;
    for (const format of ['json', 'tsv'] as const) {
      const result = await runCli(['sql', query, '-f', format], { ...env(), ...SMALL_HEAP });
      expect(result.stderr, format).toBe('');
      expect(result.code, format).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines.pop()).toBe('');
      if (format === 'json') {
        expect(lines).toHaveLength(rows);
        expect(JSON.parse(lines[rows - 1] ?? '')).toEqual({ n: String(rows - 1), label: `row-${rows - 1}` });
      } else {
        expect(lines).toHaveLength(rows + 1);
        expect(lines[0]).toBe('n\tlabel');
        expect(lines[rows]).toBe(`${rows - 1}\trow-${rows - 1}`);
      }
    }
  }, 300_000);

  it('prints a table of 500,000 rows: header once, widths from the first rows', async () => {
    const rows = 500_000;
    const result = await runCli(['sql', `SELECT number AS n FROM numbers(${rows})`], { ...env(), ...SMALL_HEAP });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(rows + 2);
    expect(lines.slice(0, 4)).toEqual(['n', '---', '0', '1']);
    expect(lines.at(-1)).toBe(String(rows - 1));
  }, 300_000);

  it('runs exactly one statement: a second one is refused before anything runs', async () => {
    const refused = await runCli(['sql', 'SELECT 1; CREATE TABLE smuggled (x UInt8) ENGINE = Memory'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('piccha: sql runs exactly one statement; got 2\n');
    const created = await runCli(['sql', 'CREATE TABLE IF NOT EXISTS kept (x UInt8) ENGINE = MergeTree ORDER BY x;'], env());
    expect(created.stderr).toBe('');
    const tables = await runCli(['sql', "SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('smuggled', 'kept') -- a comment; not a statement", '-f', 'tsv'], env());
    expect(tables.stdout).toBe('name\nkept\n');
  }, 120_000);
});
