import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_RULES } from '../../../dashboards/alerting/rules.js';
import { MART_TABLES } from '../../../dashboards/marts.js';
import { expandMacros, type MacroContext, type VariableValue } from '../../../dashboards/query/macros.js';
import { dashboardQueries, panelQuery as panel, variableQuery } from '../../../dashboards/queries.js';
import { evaluateRule } from '../../../pipeline/alerts/evaluate.js';
import type { Row } from '../../../pipeline/clickhouse/clickhouse.js';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { refreshableViews, refreshViews } from '../../../pipeline/mart/refresh.js';
import { feedRaw, generateRun, type FedRun } from '../../helpers/raw-feed.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const DAY = 86_400_000;
const dir = makeTempDir('dashboard-queries');
afterAll(() => dir.remove());

/** A fresh engine with the migrations, one generated run fed into RAW, and the MART refreshed. */
async function martWith(name: string, run: FedRun, loadedAt: number): Promise<EmbeddedClickHouse> {
  const clickhouse = new EmbeddedClickHouse(join(dir.path, name));
  const migrations = readMigrations(defaultMigrationsDir());
  await migrate(clickhouse, migrations);
  await feedRaw(clickhouse, run, loadedAt);
  await refreshViews(clickhouse, refreshableViews(migrations));
  return clickhouse;
}

const all: VariableValue = { all: true };
/** A variable's option value for a text: ClickHouse's hex() of its UTF-8 bytes. */
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex').toUpperCase();
const kopecks = (value: unknown) => Math.round(Number(value) * 100);

describe('every dashboard and alert query on the migrated MART, seed defaults', () => {
  const now = Date.now();
  const run = generateRun('none', 20261126, now - 60_000);
  let clickhouse: EmbeddedClickHouse;
  const context = (variables: Record<string, VariableValue> = {}): MacroContext => ({
    from: new Date(now - 92 * DAY),
    to: new Date(now + DAY),
    intervalMs: 3_600_000,
    variables: { network: all, city: all, store: all, ...variables },
  });
  const query = (sql: string, variables?: Record<string, VariableValue>) => clickhouse.query(expandMacros(sql, context(variables)));
  const single = async (sql: string, variables?: Record<string, VariableValue>) => Object.values((await query(sql, variables))[0] ?? {})[0];

  beforeAll(async () => {
    clickhouse = await martWith('clean', run, now);
  }, 180_000);
  afterAll(async () => clickhouse.close());

  it('reads only columns the migrations create', async () => {
    for (const table of MART_TABLES) {
      const [database, name] = table.name.split('.');
      const columns = (await clickhouse.query<{ name: string }>('SELECT name FROM system.columns WHERE database = {d:String} AND table = {t:String}', { d: database, t: name })).map((row) => row.name);
      expect(columns, table.name).toEqual(expect.arrayContaining([...table.columns]));
    }
  });

  it('runs every panel, variable and rule query without error, each panel with rows', async () => {
    const empty: string[] = [];
    for (const { kind, title, sql } of dashboardQueries()) {
      const rows = await query(sql);
      if (kind === 'variable') expect(rows.length, title).toBeGreaterThan(0);
      else if (rows.length === 0) empty.push(title);
    }
    // A clean run rejects nothing and purchases arrived a minute ago: only these may be empty.
    expect(empty.sort()).toEqual(['Отклонённые строки по правилам']);
    for (const rule of ALERT_RULES) await evaluateRule(clickhouse, rule, new Date(now));
  });

  it('shows the seed’s 200 purchases and 45 stores, and the revenue, check and customers of the generated documents', async () => {
    const purchases = run.purchases;
    const revenue = purchases.reduce((sum, p) => sum + kopecks(p.total_amount), 0);
    const units = purchases.flatMap((p) => p.items as { quantity: number }[]).reduce((sum, item) => sum + item.quantity, 0);
    const customers = new Set(purchases.map((p) => String((p.customer as { email: string }).email).trim().toLowerCase())).size;
    expect(Number(await single(panel('Покупки')))).toBe(200);
    expect(Number(await single(panel('Магазины')))).toBe(45);
    expect(kopecks(await single(panel('Выручка')))).toBe(revenue);
    expect(Number(await single(panel('Средний чек')))).toBeCloseTo(revenue / 100 / 200, 6);
    expect(Number(await single(panel('Товаров в чеке')))).toBeCloseTo(units / 200, 9);
    expect(Number(await single(panel('Покупатели')))).toBe(customers);
  });

  it('splits purchases by day, network, payment method, delivery and loyalty as the documents do', async () => {
    const count = <T>(keys: T[]) => keys.reduce((map, key) => map.set(String(key), (map.get(String(key)) ?? 0) + 1), new Map<string, number>());
    const asMap = (rows: Row[]) => new Map(rows.map((row) => { const [key, value] = Object.values(row); return [String(key), Number(value)]; }));
    const days = count(run.purchases.map((p) => String(p.purchase_datetime).slice(0, 10)));
    const perDay = await query(panel('Покупки по дням'));
    expect(new Map(perDay.map((row) => [String(row.time).slice(0, 10), Number(row['Покупки'])]))).toEqual(days);
    expect(asMap(await query(panel('Способы оплаты')))).toEqual(count(run.purchases.map((p) => p.payment_method)));
    expect(asMap(await query(panel('Доставка')))).toEqual(count(run.purchases.map((p) => (p.is_delivery ? 'Доставка' : 'В магазине'))));
    expect(asMap(await query(panel('Программа лояльности')))).toEqual(count(run.purchases.map((p) => ((p.customer as { is_loyalty_member: boolean }).is_loyalty_member ? 'С картой лояльности' : 'Без карты'))));
    const networks = await query(panel('Выручка по сетям'));
    const expected = new Map<string, number>();
    for (const p of run.purchases) {
      const network = String((p.store as { store_network: string }).store_network);
      expected.set(network, (expected.get(network) ?? 0) + kopecks(p.total_amount));
    }
    expect(new Map(networks.map((row) => [String(row['Сеть']), kopecks(row['Выручка'])]))).toEqual(expected);
  });

  it('honours the network, city and store variables', async () => {
    const small = 'Маленькая Пикча';
    const inSmall = run.purchases.filter((p) => (p.store as { store_network: string }).store_network === small);
    expect(Number(await single(panel('Магазины'), { network: { values: [hex(small)] } }))).toBe(15);
    expect(Number(await single(panel('Покупки'), { network: { values: [hex(small)] } }))).toBe(inSmall.length);
    const store = run.purchases[0]?.store as { store_id: string };
    const atStore = run.purchases.filter((p) => (p.store as { store_id: string }).store_id === store.store_id);
    expect(Number(await single(panel('Покупки'), { store: { values: [hex(store.store_id)] } }))).toBe(atStore.length);
    const cities = await query(variableQuery('city'), { network: { values: [hex(small)] } });
    const expectedCities = new Set(run.stores.filter((s) => s.store_network === small).map((s) => String((s.location as { city: string }).city).trim().toLowerCase()));
    expect(new Set(cities.map((row) => row.text))).toEqual(expectedCities);
    expect(cities.every((row) => row.value === hex(String(row.text)))).toBe(true);
    const storesVariable = await query(variableQuery('store'));
    expect(storesVariable).toHaveLength(45);
    expect(Object.keys(storesVariable[0] ?? {})).toEqual(['value', 'text']);
  });
});
