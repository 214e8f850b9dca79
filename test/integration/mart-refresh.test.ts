import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { refreshableViews } from '../../pipeline/mart/refresh.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('refreshing the MART', () => {
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((remove) => remove()));
  const stateDir = () => {
    const dir = makeTempDir('mart-refresh');
    cleanups.push(dir.remove);
    return dir.path;
  };

  it('migrate fills the views it creates; refresh recomputes every view in order and names an unknown one', async () => {
    const state = stateDir();
    const migrated = await runCli(['migrate'], { PICCHA_STATE_DIR: state });
    expect(migrated.code, migrated.stderr).toBe(0);
    const views = refreshableViews(readMigrations(defaultMigrationsDir()));
    for (const view of views) expect(migrated.stdout).toContain(`filled   ${view} (`);

    const refreshed = await runCli(['refresh'], { PICCHA_STATE_DIR: state });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const listed = refreshed.stdout.split('\n').slice(2).filter(Boolean).map((line) => line.split(/\s+/)[0]);
    expect(listed).toEqual(views);

    const unknown = await runCli(['refresh', '--only', 'piccha_mart.nope'], { PICCHA_STATE_DIR: state });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^piccha: not a refreshable view of the migrations: piccha_mart\.nope; known: piccha_mart\.document_status_rmv/);
  }, 120_000);

  it('is done by the engine itself in the background, on schedule, with no one asking', async () => {
    const clickhouse = new EmbeddedClickHouse(stateDir());
    try {
      await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
      const transport = { kafka_topic: 't.purchases', kafka_partition: 0, kafka_key: 'ord-1', kafka_timestamp: '2026-11-26 00:00:00', schema_version: 1, op: 'upsert', emitted_at: '2026-11-26 00:00:00', loaded_at: '2026-11-26 00:00:00', pii_key_id: 'k', content_hash: '' };
      await clickhouse.insert('piccha_raw.purchases', [
        { ...transport, kafka_offset: 0, source_id: 'purchases-1-0', purchase_id: 'ord-1', customer_id: 'cus-1', customer_email_ciphertext: 'c', customer_email_blind_index: 'b', store_id: 'store-001', store_network: 'Большая Пикча', item_count: 1, total_amount: 10, payment_method: 'card', purchase_datetime: '2026-11-25 10:00:00' },
      ]);
      await clickhouse.insert('piccha_raw.purchase_items', [{ ...transport, kafka_offset: 0, source_id: 'purchases-1-0', purchase_id: 'ord-1', item_index: 0, product_id: 'prd-1', category: 'c', quantity: 2, price_per_unit: 5, total_price: 10 }]);
      // The views refresh every minute: within about that, the purchase reaches the business mart.
      const deadline = Date.now() + 150_000;
      let revenue: number | undefined;
      while (Date.now() < deadline) {
        revenue = (await clickhouse.query<{ revenue: number }>('SELECT revenue FROM piccha_mart.sales_daily_store'))[0]?.revenue;
        if (revenue !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(revenue).toBe(10);
      const [log] = await clickhouse.query<{ n: string }>("SELECT count() AS n FROM piccha_mart.duplicates_log WHERE entity = 'purchases' AND documents = 1");
      expect(Number(log?.n)).toBeGreaterThanOrEqual(1);
    } finally {
      await clickhouse.close();
    }
  }, 180_000);
});
