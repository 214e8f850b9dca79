import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../pipeline/clickhouse/clickhouse.js';

/**
 * What every ClickHouse implementation must do, run against the embedded engine and, when
 * CLICKHOUSE_URL is set, against a server: the pipeline relies on both behaving alike.
 */
export function clickhouseContract(name: string, open: () => ClickHouse): void {
  describe(name, () => {
    let clickhouse: ClickHouse;
    const db = `contract_${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      clickhouse = open();
      await clickhouse.exec(`CREATE DATABASE ${db}`);
      await clickhouse.exec(
        `CREATE TABLE ${db}.purchases (
           purchase_id String,
           store_network LowCardinality(String),
           amount Decimal(12, 2),
           purchased_at DateTime64(3, 'UTC'),
           items Array(String),
           quantity UInt64,
           comment Nullable(String)
         ) ENGINE = MergeTree ORDER BY purchase_id`,
      );
    });

    afterAll(async () => {
      await clickhouse.exec(`DROP DATABASE IF EXISTS ${db}`);
      await clickhouse.close();
    });

    it('inserts a batch and reads ClickHouse 26-era types back exactly', async () => {
      await clickhouse.insert(`${db}.purchases`, [
        { purchase_id: 'ord-00001', store_network: 'Большая Пикча', amount: '1234.56', purchased_at: '2026-11-01 10:15:30.123', items: ['prd-1000', 'prd-1001'], quantity: '18446744073709551615', comment: null },
        { purchase_id: 'ord-00002', store_network: 'Маленькая Пикча', amount: 0.1, purchased_at: '2026-11-02T08:00:00.5Z', items: [], quantity: 3, comment: "it's; -- fine" },
      ]);
      const rows = await clickhouse.query(
        `SELECT purchase_id, store_network, amount, purchased_at, items, quantity, comment, toTypeName(store_network) AS network_type
         FROM ${db}.purchases ORDER BY purchase_id`,
      );
      expect(rows).toEqual([
        { purchase_id: 'ord-00001', store_network: 'Большая Пикча', amount: 1234.56, purchased_at: '2026-11-01 10:15:30.123', items: ['prd-1000', 'prd-1001'], quantity: '18446744073709551615', comment: null, network_type: 'LowCardinality(String)' },
        { purchase_id: 'ord-00002', store_network: 'Маленькая Пикча', amount: 0.1, purchased_at: '2026-11-02 08:00:00.500', items: [], quantity: '3', comment: "it's; -- fine", network_type: 'LowCardinality(String)' },
      ]);
    });

    it('binds parameters as values, never as SQL', async () => {
      const hostile = "x' OR 1=1 --";
      const byId = await clickhouse.query(`SELECT count() AS n FROM ${db}.purchases WHERE purchase_id = {id:String}`, { id: hostile });
      expect(byId).toEqual([{ n: '0' }]);
      const typed = await clickhouse.query(
        `SELECT purchase_id FROM ${db}.purchases
         WHERE has({networks:Array(String)}, store_network) AND purchased_at >= {since:DateTime64(3, 'UTC')} AND amount > {min:Decimal(12, 2)}
         ORDER BY purchase_id`,
        { networks: ['Большая Пикча', 'Маленькая Пикча'], since: '2026-11-01 00:00:00.000', min: '100' },
      );
      expect(typed).toEqual([{ purchase_id: 'ord-00001' }]);
    });

    it('feeds a materialized view created before the data', async () => {
      await clickhouse.exec(
        `CREATE TABLE ${db}.sales_by_network (store_network LowCardinality(String), revenue Decimal(18, 2), purchases UInt64)
         ENGINE = SummingMergeTree ORDER BY store_network`,
      );
      await clickhouse.exec(
        `CREATE MATERIALIZED VIEW ${db}.sales_by_network_mv TO ${db}.sales_by_network AS
         SELECT store_network, sum(amount) AS revenue, count() AS purchases FROM ${db}.purchases GROUP BY store_network`,
      );
      await clickhouse.insert(`${db}.purchases`, [
        { purchase_id: 'ord-00003', store_network: 'Большая Пикча', amount: '10.00', purchased_at: '2026-11-03 12:00:00', items: ['prd-1002'], quantity: 1, comment: null },
        { purchase_id: 'ord-00004', store_network: 'Большая Пикча', amount: '5.50', purchased_at: '2026-11-03 13:00:00', items: ['prd-1003'], quantity: 2, comment: null },
      ]);
      const rows = await clickhouse.query(`SELECT store_network, sum(revenue) AS revenue, sum(purchases) AS purchases FROM ${db}.sales_by_network GROUP BY store_network`);
      expect(rows).toEqual([{ store_network: 'Большая Пикча', revenue: 15.5, purchases: '2' }]);
    });

    it('rejects bad SQL and bad rows with ClickHouse’s reason', async () => {
      await expect(clickhouse.query('SELECT no_such_column FROM system.one')).rejects.toThrow(/no_such_column/);
      await expect(clickhouse.insert(`${db}.purchases`, [{ purchase_id: 'ord-bad', amount: 'not a number' }])).rejects.toThrow(/amount|Decimal|parse/i);
      await expect(clickhouse.insert('bad name; DROP', [{ a: 1 }])).rejects.toThrow(/not a table name/);
    });

    it('inserts rows already written as JSONCompactEachRow, by the columns they name', async () => {
      const columns = ['comment', 'purchase_id', 'store_network', 'amount', 'purchased_at', 'items'];
      const body = `${JSON.stringify([null, 'ord-00005', 'Маленькая Пикча', '99.99', '2025-01-02T03:04:05.678Z', ['prd-"1"']])}\n${JSON.stringify(['эмодзи 🥦', 'ord-00006', 'Большая Пикча', '0.01', '2025-01-02T00:00:00.000Z', []])}\n`;
      await clickhouse.insertCompact(`${db}.purchases`, { columns, body });
      const rows = await clickhouse.query(`SELECT purchase_id, store_network, amount, purchased_at, items, quantity, comment FROM ${db}.purchases WHERE purchase_id IN ('ord-00005', 'ord-00006') ORDER BY purchase_id`);
      expect(rows).toEqual([
        { purchase_id: 'ord-00005', store_network: 'Маленькая Пикча', amount: 99.99, purchased_at: '2025-01-02 03:04:05.678', items: ['prd-"1"'], quantity: '0', comment: null },
        { purchase_id: 'ord-00006', store_network: 'Большая Пикча', amount: 0.01, purchased_at: '2025-01-02 00:00:00.000', items: [], quantity: '0', comment: 'эмодзи 🥦' },
      ]);
      await expect(clickhouse.insertCompact(`${db}.purchases`, { columns: ['purchase_id', 'amount'], body: '["ord-bad", "not a number"]\n' })).rejects.toThrow(/amount|Decimal|parse/i);
      await expect(clickhouse.insertCompact('bad name; DROP', { columns: ['a'], body: '[1]\n' })).rejects.toThrow(/not a table name/);
      await expect(clickhouse.insertCompact(`${db}.purchases`, { columns: ['purchase_id) SELECT 1 --'], body: '[1]\n' })).rejects.toThrow(/not a column name/);
    });

    it('inserts rows already written as RowBinary, bytes as they are, with per-insert settings', async () => {
      // RowBinary by hand: a String is its length (one byte here, under 128) then its bytes; UInt64 and DateTime64(3) are 8 bytes little-endian.
      const text = (value: string) => {
        const bytes = Buffer.from(value);
        return Buffer.concat([Buffer.from([bytes.length]), bytes]);
      };
      const int64 = (value: bigint) => {
        const bytes = Buffer.alloc(8);
        bytes.writeBigInt64LE(value);
        return bytes;
      };
      const odd = 'ord-00007 "quoted"\n\ttab \\ \' 🥦';
      const body = Buffer.concat([text(odd), text('Большая Пикча'), int64(BigInt(Date.parse('2025-01-02T03:04:05.678Z'))), int64(42n)]);
      await clickhouse.insertRowBinary(`${db}.purchases`, { columns: ['purchase_id', 'store_network', 'purchased_at', 'quantity'], body }, { async_insert: 0, max_insert_threads: 1 });
      const rows = await clickhouse.query(`SELECT purchase_id, store_network, purchased_at, quantity FROM ${db}.purchases WHERE startsWith(purchase_id, 'ord-00007')`);
      expect(rows).toEqual([{ purchase_id: odd, store_network: 'Большая Пикча', purchased_at: '2025-01-02 03:04:05.678', quantity: '42' }]);
      await expect(clickhouse.insertRowBinary(`${db}.purchases`, { columns: ['purchase_id', 'quantity'], body: text('ord-short') }, { async_insert: 0 })).rejects.toThrow();
      await expect(clickhouse.insertRowBinary(`${db}.purchases`, { columns: ['purchase_id'], body: text('ord-x') }, { 'async_insert = 0; DROP': 1 })).rejects.toThrow();
      await expect(clickhouse.insertRowBinary(`${db}.purchases`, { columns: ['purchase_id) SELECT 1 --'], body: text('x') })).rejects.toThrow(/not a column name/);
    });
  });
}
