import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandMacros, referencedVariables, type MacroContext, type VariableValue } from '../../../dashboards/query/macros.js';
import { dashboardQueries, variableQuery, type DashboardQuery } from '../../../dashboards/queries.js';
import { SALES_DASHBOARD_UID } from '../../../dashboards/sales/dashboard.js';
import type { Row } from '../../../pipeline/clickhouse/clickhouse.js';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import type { Document } from '../../../pipeline/entities/entities.js';
import { refreshableViews, refreshViews } from '../../../pipeline/mart/refresh.js';
import { feedRaw, generateRun, type FedRun } from '../../helpers/raw-feed.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

// One embedded engine per process: stores with hostile names have their own test file.
const DAY = 86_400_000;
const dir = makeTempDir('dashboard-hostile');
afterAll(() => dir.remove());

interface StoreFields {
  readonly store_id: string;
  readonly store_name: string;
  readonly store_network: string;
  /** Lower case: staging lower-cases cities. */
  readonly city: string;
}

/**
 * What ends or escapes a quoted literal, reads as SQL, or would split an encoded list: the
 * auditor's pair (`x\` with `) OR 1=1 OR (1 IN (1`) among them.
 */
const HOSTILE: readonly StoreFields[] = [
  { store_id: 'a\\', store_name: 'x\\', store_network: 'x\\', city: "o'neil\\" },
  { store_id: "b'", store_name: "\\'; DROP TABLE piccha_mart.stores; --", store_network: ') OR 1=1 OR (1 IN (1', city: "\\'" },
  { store_id: "c\\'", store_name: "O'Brien \\\\ ${network} $__all", store_network: "\\'", city: "') or ('1'='1" },
  { store_id: 'd,{1}', store_name: 'Магазин {1,2} %41', store_network: 'Сеть {1,2}, %41', city: 'город, тест' },
];

function withStore(document: Document, fields: StoreFields): Document {
  const { city, ...rest } = fields;
  return { ...document, ...rest, location: { ...(document.location as Record<string, unknown>), city } };
}

/** The four busiest stores of the run rewritten to HOSTILE, in the store documents and the purchases' copies. */
function hostileRun(run: FedRun): FedRun {
  const counts = new Map<string, number>();
  for (const purchase of run.purchases) {
    const id = String((purchase.store as Document).store_id);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const busiest = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, HOSTILE.length);
  const fields = new Map(busiest.map(([id], index) => [id, HOSTILE[index] as StoreFields]));
  return {
    manifest: run.manifest,
    stores: run.stores.map((store) => {
      const hostile = fields.get(String(store.store_id));
      return hostile ? withStore(store, hostile) : store;
    }),
    purchases: run.purchases.map((purchase) => {
      const hostile = fields.get(String((purchase.store as Document).store_id));
      return hostile ? { ...purchase, store: withStore(purchase.store as Document, hostile) } : purchase;
    }),
  };
}

const hostileIds = new Set(HOSTILE.map((store) => store.store_id));
const isHostile = (purchase: Document) => hostileIds.has(String((purchase.store as Document).store_id));
const sorted = (rows: readonly object[]) => rows.map((row) => JSON.stringify(row)).sort();
const id = (query: DashboardQuery) => query.panel?.id ?? -1;

describe('sales dashboard on stores whose network, city, name and id hold quotes, backslashes and SQL', () => {
  const now = Date.now();
  const run = hostileRun(generateRun('none', 20261127, now - 60_000));
  const migrations = readMigrations(defaultMigrationsDir());
  let clickhouse: EmbeddedClickHouse;
  const context = (variables: Record<string, VariableValue>): MacroContext => ({
    from: new Date(now - 92 * DAY),
    to: new Date(now + DAY),
    intervalMs: 3_600_000,
    variables: { network: { all: true }, city: { all: true }, store: { all: true }, ...variables },
  });
  const query = (sql: string, variables: Record<string, VariableValue> = {}) => clickhouse.query(expandMacros(sql, context(variables)));

  /** A variable's options as the plugin reads them: the first column the value, the second (if any) the text. */
  async function options(variable: string, variables: Record<string, VariableValue> = {}): Promise<{ value: string; text: string }[]> {
    return (await query(variableQuery(variable), variables)).map((row) => {
      const [value, text = value] = Object.values(row);
      return { value: String(value), text: String(text) };
    });
  }

  /** The values a user picks by clicking these texts. */
  async function pick(variable: string, texts: readonly string[], variables: Record<string, VariableValue> = {}): Promise<VariableValue> {
    const picked = (await options(variable, variables)).filter((option) => texts.includes(option.text));
    expect(picked.map((option) => option.text).sort(), variable).toEqual([...texts].sort());
    return { values: picked.map((option) => option.value) };
  }

  const networks = HOSTILE.map((store) => store.store_network);
  const cities = HOSTILE.map((store) => store.city);
  const names = HOSTILE.map((store) => store.store_name);
  const panels = dashboardQueries().filter((q) => q.dashboard === SALES_DASHBOARD_UID && q.kind === 'panel');

  beforeAll(async () => {
    clickhouse = new EmbeddedClickHouse(dir.path);
    await migrate(clickhouse, migrations);
    await feedRaw(clickhouse, run, now);
    await refreshViews(clickhouse, refreshableViews(migrations));
  }, 180_000);
  afterAll(async () => clickhouse.close());

  it('offers each store under its own text, its value in hex digits (no `,` or `{}` to confuse the encoded list)', async () => {
    for (const [variable, texts] of [['network', networks], ['city', cities], ['store', names]] as const) {
      const all = await options(variable);
      expect(all.map((option) => option.text), variable).toEqual(expect.arrayContaining(texts));
      for (const { value } of all) expect(value, variable).toMatch(/^[0-9A-F]*$/);
    }
    // Chained: the hostile networks offer exactly their cities, and with those, exactly their stores.
    const network = await pick('network', networks);
    expect((await options('city', { network })).map((option) => option.text).sort()).toEqual([...cities].sort());
    const city = await pick('city', cities, { network });
    expect((await options('store', { network, city })).map((option) => option.text).sort()).toEqual([...names].sort());
  });

  it('a selection that no option offers (a hand-made URL: Grafana keeps it unchecked) matches nothing and runs no SQL of its own', async () => {
    const forged: VariableValue = { values: [...networks, "'", '\\', "') OR 1=1 --"] };
    for (const variable of ['network', 'city', 'store']) {
      for (const panel of panels) {
        const rows = await query(panel.sql, { [variable]: forged });
        for (const row of rows) for (const value of Object.values(row)) expect([null, 0, '0'], `${panel.title}, ${variable}`).toContain(value);
      }
    }
  });

  it('every sales panel shows exactly those stores for each way of selecting them', async () => {
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) expect(referencedVariables(panel.sql), panel.title).toEqual(['city', 'network', 'store']);
    const network = await pick('network', networks);
    const chainedCity = await pick('city', cities, { network });
    const selections: Record<string, Record<string, VariableValue>> = {
      network: { network },
      city: { city: await pick('city', cities) },
      store: { store: await pick('store', names) },
      'network, city and store': { network, city: chainedCity, store: await pick('store', names, { network, city: chainedCity }) },
    };
    const seen = new Map<string, Map<number, Row[]>>();
    for (const [how, variables] of Object.entries(selections)) {
      const results = new Map<number, Row[]>();
      for (const panel of panels) results.set(id(panel), await query(panel.sql, variables));
      seen.set(how, results);
    }

    // Checked against the documents themselves...
    const purchases = run.purchases.filter(isHostile);
    const byNetwork = seen.get('network') ?? new Map<number, Row[]>();
    const rows = (title: string, kind: string) => byNetwork.get(id(panels.find((q) => q.title === title && q.panel?.kind === kind) as DashboardQuery)) ?? [];
    const stat = (title: string) => Object.values(rows(title, 'stat')[0] ?? {})[0];
    expect(Number(stat('Покупки'))).toBe(purchases.length);
    expect(Number(stat('Магазины'))).toBe(HOSTILE.length);
    expect(Math.round(Number(stat('Выручка')) * 100)).toBe(purchases.reduce((sum, p) => sum + Math.round(Number(p.total_amount) * 100), 0));
    const perStore = HOSTILE.map((store) => ({
      Магазин: store.store_name,
      Сеть: store.store_network,
      Город: store.city,
      Покупки: purchases.filter((p) => (p.store as Document).store_id === store.store_id).length,
    }));
    const shown = rows('Магазины', 'table').map((row) => ({ Магазин: row['Магазин'], Сеть: row['Сеть'], Город: row['Город'], Покупки: Number(row['Покупки']) }));
    expect(sorted(shown)).toEqual(sorted(perStore));

    // ...and panel by panel against the same panels, «Все» selected, on a MART of only those stores.
    for (const table of ['stores', 'purchases', 'purchase_items']) await clickhouse.exec(`TRUNCATE TABLE piccha_raw.${table}`);
    await feedRaw(clickhouse, { manifest: run.manifest, stores: run.stores.filter((store) => hostileIds.has(String(store.store_id))), purchases }, now);
    await refreshViews(clickhouse, refreshableViews(migrations));
    for (const panel of panels) {
      const expected = await query(panel.sql);
      expect(expected.length, panel.title).toBeGreaterThan(0);
      for (const [how, results] of seen) expect(sorted(results.get(id(panel)) ?? []), `${panel.title}, by ${how}`).toEqual(sorted(expected));
    }
  }, 300_000);
});
