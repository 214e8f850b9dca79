import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../pipeline/clickhouse/migrations.js';
import { followRefresh } from '../../pipeline/mart/follow.js';
import { appendingViews, refreshableViews } from '../../pipeline/mart/refresh.js';
import { DeadlineExceeded } from '../../pipeline/system/retry.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/fault-flow.js';
import { quietLogger } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** One purchase document, ord-1, as RAW holds it: a purchases row and its one item (2 × 5 = 10). */
const transport = { kafka_topic: 't.purchases', kafka_partition: 0, kafka_key: 'ord-1', kafka_timestamp: '2026-11-26 00:00:00', schema_version: 1, op: 'upsert', emitted_at: '2026-11-26 00:00:00', loaded_at: '2026-11-26 00:00:00', pii_key_id: 'k', content_hash: '' };
const rawPurchase = (offset: number, sourceId: string) => ({ ...transport, kafka_offset: offset, source_id: sourceId, purchase_id: 'ord-1', customer_id: 'cus-1', customer_email_ciphertext: 'c', customer_email_blind_index: 'b', store_id: 'store-001', store_network: 'Большая Пикча', item_count: 1, total_amount: 10, payment_method: 'card', purchase_datetime: '2026-11-25 10:00:00' });
const rawPurchaseItem = (offset: number, sourceId: string) => ({ ...transport, kafka_offset: offset, source_id: sourceId, purchase_id: 'ord-1', item_index: 0, product_id: 'prd-1', category: 'c', quantity: 2, price_per_unit: 5, total_price: 10 });
/** What `refresh --follow` is given in the tests below: what a purchase needs to be visible. */
const FOLLOWED = ['piccha_mart.document_status_rmv', 'piccha_mart.purchases_rmv'];
/** The logs: their views append a row per check run (sql/211, sql/212). */
const LOGS = ['piccha_mart.duplicates_log_rmv', 'piccha_mart.data_quality_log_rmv'];

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
      await clickhouse.insert('piccha_raw.purchases', [rawPurchase(0, 'purchases-1-0')]);
      await clickhouse.insert('piccha_raw.purchase_items', [rawPurchaseItem(0, 'purchases-1-0')]);
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

  it('refresh --follow refreshes as soon as RAW changes, and not while it does not', async () => {
    const clickhouse = new EmbeddedClickHouse(stateDir());
    const stop = new AbortController();
    try {
      await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
      expect(await appendingViews(clickhouse, refreshableViews(readMigrations(defaultMigrationsDir())))).toEqual(LOGS);
      // Off their one-minute schedule: whatever refreshes them here is the follower.
      for (const view of FOLLOWED) await clickhouse.exec(`ALTER TABLE ${view} MODIFY REFRESH EVERY 1 YEAR`);
      let refreshes = 0;
      const following = followRefresh(clickhouse, { views: FOLLOWED, pollMs: 50, deadlineMs: 10_000, signal: stop.signal, onRefreshed: () => (refreshes += 1) }, quietLogger);
      await waitFor(() => refreshes >= 1, 'the first refresh', 30_000);
      const beforeInserts = refreshes;

      await clickhouse.insert('piccha_raw.purchase_items', [rawPurchaseItem(0, 'purchases-1-0')]);
      await clickhouse.insert('piccha_raw.purchases', [rawPurchase(0, 'purchases-1-0')]);
      const martRows = () => clickhouse.query<{ source_id: string; total_amount: number }>('SELECT source_id, total_amount FROM piccha_mart.purchases');
      await waitFor(async () => (await martRows()).length > 0, 'the purchase in MART', 30_000);
      expect(await martRows()).toEqual([{ source_id: 'purchases-1-0', total_amount: 10 }]);

      // RAW unchanged for many polls: nothing to refresh. (The refresh that showed the row counts itself just after it returns.)
      await waitFor(() => refreshes > beforeInserts, 'the refresh counted', 30_000);
      const settled = refreshes;
      await delay(1000);
      expect(refreshes).toBe(settled);

      // A second document with the same purchase id: judged a duplicate of the first, with no one asking.
      await clickhouse.insert('piccha_raw.purchase_items', [rawPurchaseItem(1, 'purchases-1-1')]);
      await clickhouse.insert('piccha_raw.purchases', [rawPurchase(1, 'purchases-1-1')]);
      const judged = () => clickhouse.query<{ status: string; kept_source_id: string }>("SELECT toString(status) AS status, kept_source_id FROM piccha_mart.document_status WHERE source_id = 'purchases-1-1'");
      await waitFor(async () => (await judged()).length > 0, 'the duplicate judged', 30_000);
      expect(await judged()).toEqual([{ status: 'duplicate', kept_source_id: 'purchases-1-0' }]);
      expect(await clickhouse.query('SELECT source_id FROM piccha_mart.purchases')).toEqual([{ source_id: 'purchases-1-0' }]);

      stop.abort();
      expect(await following).toBe(refreshes);
      expect(refreshes).toBeGreaterThan(settled);
    } finally {
      stop.abort();
      await clickhouse.close();
    }
  }, 120_000);

  it('refresh --follow gives up once ClickHouse has been failing past its deadline', async () => {
    const clickhouse = new EmbeddedClickHouse(stateDir());
    await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
    await clickhouse.close();
    const started = Date.now();
    const failed = await followRefresh(clickhouse, { views: FOLLOWED, pollMs: 50, deadlineMs: 500, signal: new AbortController().signal }, quietLogger).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);

  it('refresh --follow runs from the CLI until SIGTERM, every view but the logs, then stops cleanly with a count of its refreshes', async () => {
    const state = stateDir();
    const migrated = await runCli(['migrate'], { PICCHA_STATE_DIR: state });
    expect(migrated.code, migrated.stderr).toBe(0);
    const follower = spawnCli(['refresh', '--follow', '--poll-ms', '50'], { PICCHA_STATE_DIR: state, PICCHA_LOG_LEVEL: 'debug' });
    try {
      await waitFor(() => follower.output().stderr.includes('"msg":"refreshed"'), 'a refresh logged', 60_000);
      follower.kill('SIGTERM');
      const { code } = await follower.exited;
      const { stdout, stderr } = follower.output();
      expect(code, stderr).toBe(0);
      const views = refreshableViews(readMigrations(defaultMigrationsDir())).filter((view) => !LOGS.includes(view)).length;
      expect(stdout).toMatch(new RegExp(`^(1 refresh|[2-9] refreshes|[1-9]\\d+ refreshes) of ${views} views in \\d+\\.\\d s\\n$`));
    } finally {
      follower.kill('SIGKILL');
      await follower.exited;
    }
  }, 120_000);
});
