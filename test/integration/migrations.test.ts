import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../pipeline/clickhouse/clickhouse.js';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { migrate, MIGRATIONS_TABLE, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('migrate on the embedded engine', () => {
  const data = makeTempDir('chdb');
  const sql = makeTempDir('sql');
  let clickhouse: ClickHouse;

  beforeAll(() => {
    clickhouse = new EmbeddedClickHouse(data.path);
  });
  afterAll(async () => {
    await clickhouse.close();
    data.remove();
    sql.remove();
  });

  it('applies new files in order, once, and records each', async () => {
    writeFileSync(join(sql.path, '001_raw_purchases.sql'), 'CREATE DATABASE raw;\nCREATE TABLE raw.purchases (id String) ENGINE = MergeTree ORDER BY id;');
    writeFileSync(join(sql.path, '002_mart_purchase_count.sql'), `CREATE DATABASE mart;
      CREATE TABLE mart.purchase_count (n UInt64) ENGINE = SummingMergeTree ORDER BY tuple();
      CREATE MATERIALIZED VIEW mart.purchase_count_mv TO mart.purchase_count AS SELECT count() AS n FROM raw.purchases;`);
    expect(await migrate(clickhouse, readMigrations(sql.path))).toEqual({ applied: ['001_raw_purchases.sql', '002_mart_purchase_count.sql'], alreadyApplied: [] });

    writeFileSync(join(sql.path, '003_raw_stores.sql'), 'CREATE TABLE raw.stores (id String) ENGINE = MergeTree ORDER BY id');
    expect(await migrate(clickhouse, readMigrations(sql.path))).toEqual({ applied: ['003_raw_stores.sql'], alreadyApplied: ['001_raw_purchases.sql', '002_mart_purchase_count.sql'] });

    await clickhouse.insert('raw.purchases', [{ id: 'a' }, { id: 'b' }]);
    expect(await clickhouse.query('SELECT sum(n) AS n FROM mart.purchase_count')).toEqual([{ n: '2' }]);
    expect(await clickhouse.query(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`)).toHaveLength(3);
  });

  it('refuses an applied migration whose file has changed', async () => {
    writeFileSync(join(sql.path, '003_raw_stores.sql'), 'CREATE TABLE raw.stores (id String, city String) ENGINE = MergeTree ORDER BY id');
    await expect(migrate(clickhouse, readMigrations(sql.path))).rejects.toThrow('003_raw_stores.sql was changed after it was applied');
    writeFileSync(join(sql.path, '003_raw_stores.sql'), 'CREATE TABLE raw.stores (id String) ENGINE = MergeTree ORDER BY id');
  });

  it('names the file and statement that failed, and does not record it', async () => {
    writeFileSync(join(sql.path, '004_staging_broken.sql'), 'CREATE DATABASE staging;\nCREATE TABLE staging.t (id NoSuchType) ENGINE = Memory;');
    await expect(migrate(clickhouse, readMigrations(sql.path))).rejects.toThrow(/004_staging_broken\.sql, statement 2: .*NoSuchType/);
    expect(await clickhouse.query(`SELECT name FROM ${MIGRATIONS_TABLE} WHERE name = {name:String}`, { name: '004_staging_broken.sql' })).toEqual([]);
  });
});
