import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { clickhouseContract } from '../helpers/clickhouse-contract.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const dataDir = makeTempDir('chdb');
afterAll(() => dataDir.remove());

clickhouseContract('ClickHouse contract: embedded engine (chdb)', () => new EmbeddedClickHouse(dataDir.path));

describe('embedded engine: RowBinary inserts', () => {
  it('stream the rows through a pipe, never a file on disk, and leave nothing behind', async () => {
    const scratch = makeTempDir('chdb-tmp');
    const saved = process.env.TMPDIR;
    // os.tmpdir() reads TMPDIR on every call: the insert's folder appears here, where it can be watched.
    process.env.TMPDIR = scratch.path;
    const clickhouse = new EmbeddedClickHouse(dataDir.path);
    try {
      await clickhouse.exec('CREATE DATABASE IF NOT EXISTS fifo_check');
      await clickhouse.exec('CREATE TABLE fifo_check.rows (payload String) ENGINE = MergeTree ORDER BY tuple()');
      // 200,000 strings of 250 bytes: about 50 MB, enough for the insert to be watched while it runs.
      const value = Buffer.from('x'.repeat(250));
      const row = Buffer.concat([Buffer.from([value.length & 0x7f | 0x80, value.length >> 7]), value]);
      const body = Buffer.concat(Array.from({ length: 200_000 }, () => row));
      const seen: string[] = [];
      let inserting = true;
      const watching = (async () => {
        while (inserting) {
          for (const folder of await readdir(scratch.path)) {
            for (const name of await readdir(join(scratch.path, folder)).catch(() => [])) {
              const stat = await lstat(join(scratch.path, folder, name)).catch(() => undefined);
              if (stat !== undefined) seen.push(stat.isFIFO() ? 'pipe' : stat.isFile() ? 'regular file' : 'something else');
            }
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      try {
        await clickhouse.insertRowBinary('fifo_check.rows', { columns: ['payload'], body }, { async_insert: 0 });
      } finally {
        inserting = false;
        await watching;
      }
      expect(seen.length, 'the insert was seen while it ran').toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set(['pipe']));
      const [count] = await clickhouse.query<{ n: string; bytes: string }>('SELECT count() AS n, sum(length(payload)) AS bytes FROM fifo_check.rows');
      expect(count).toEqual({ n: '200000', bytes: String(200_000 * 250) });
      // The pipe is used again by the next insert, which lands its rows only.
      await clickhouse.insertRowBinary('fifo_check.rows', { columns: ['payload'], body: Buffer.concat([row, row]) }, { async_insert: 0 });
      const [again] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM fifo_check.rows');
      expect(again?.n).toBe('200002');
      await clickhouse.close();
      expect(await readdir(scratch.path), 'left behind by close()').toEqual([]);
    } finally {
      process.env.TMPDIR = saved;
      if (saved === undefined) delete process.env.TMPDIR;
      await clickhouse.close();
      scratch.remove();
    }
  });
});
