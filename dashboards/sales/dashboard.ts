import type { DashboardSpec } from '../dashboard-spec.js';
import { purchaseItems, purchases, salesDailyStore, stores } from '../marts.js';
import type { PanelSpec } from '../panels.js';
import { optionValue, selectedIn, type VariableSpec } from '../variables.js';

export const SALES_DASHBOARD_UID = 'piccha-sales';

const d = salesDailyStore.c;
const p = purchases.c;
const i = purchaseItems.c;
const s = stores.c;

/** The store selection every sales panel honours; a «Все» selection turns a condition into 1=1. */
function storeFilter(network: string, city: string, store: string): string {
  return [selectedIn(network, 'network'), selectedIn(city, 'city'), selectedIn(store, 'store')].join(' AND ');
}

/** Days are the store's local calendar days, so the range filter works on purchase_date. */
const dailyWhere = `WHERE $__dateFilter(${d.purchase_date}) AND ${storeFilter(d.store_network, d.store_city, d.store_id)}`;
const purchasesWhere = `WHERE $__dateFilter(${p.purchase_date}) AND ${storeFilter(p.store_network, p.store_city, p.store_id)}`;
const itemsWhere = `WHERE $__dateFilter(${i.purchase_date}) AND ${storeFilter(i.store_network, i.store_city, i.store_id)}`;

const variables: VariableSpec[] = [
  { name: 'network', label: 'Сеть', sql: `SELECT DISTINCT ${optionValue(s.store_network)} AS value, ${s.store_network} AS text FROM ${stores.name} ORDER BY text` },
  {
    name: 'city',
    label: 'Город',
    sql: `SELECT DISTINCT ${optionValue(s.city)} AS value, ${s.city} AS text FROM ${stores.name} WHERE ${selectedIn(s.store_network, 'network')} ORDER BY text`,
  },
  {
    name: 'store',
    label: 'Магазин',
    sql:
      `SELECT ${optionValue(s.store_id)} AS value, ${s.store_name} AS text FROM ${stores.name} ` +
      `WHERE ${selectedIn(s.store_network, 'network')} AND ${selectedIn(s.city, 'city')} ORDER BY text`,
  },
];

const stat = (id: number, x: number, title: string, sql: string, unit: PanelSpec['unit'], decimals: number): PanelSpec => ({
  id,
  kind: 'stat',
  title,
  grid: { x, y: 0, w: 4, h: 4 },
  sql,
  format: 'table',
  unit,
  decimals,
});

const pie = (id: number, x: number, title: string, sql: string, unit: PanelSpec['unit'] = 'short'): PanelSpec => ({
  id,
  kind: 'piechart',
  title,
  grid: { x, y: 30, w: 6, h: 8 },
  sql,
  format: 'table',
  unit,
  decimals: 0,
});

const panels: PanelSpec[] = [
  stat(1, 0, 'Покупки', `SELECT sum(${d.purchases}) AS "Покупки" FROM ${salesDailyStore.name} ${dailyWhere}`, 'short', 0),
  stat(2, 4, 'Магазины', `SELECT uniqExact(${s.store_id}) AS "Магазины" FROM ${stores.name} WHERE ${storeFilter(s.store_network, s.city, s.store_id)}`, 'short', 0),
  stat(3, 8, 'Выручка', `SELECT sum(${d.revenue}) AS "Выручка" FROM ${salesDailyStore.name} ${dailyWhere}`, 'currencyRUB', 0),
  // Decimal ÷ integer keeps the decimal's scale and truncates: averages divide as Float64.
  stat(4, 12, 'Средний чек', `SELECT toFloat64(sum(${d.revenue})) / nullIf(sum(${d.purchases}), 0) AS "Средний чек" FROM ${salesDailyStore.name} ${dailyWhere}`, 'currencyRUB', 2),
  stat(5, 16, 'Товаров в чеке', `SELECT sum(${d.units}) / nullIf(sum(${d.purchases}), 0) AS "Товаров в чеке" FROM ${salesDailyStore.name} ${dailyWhere}`, 'none', 1),
  stat(6, 20, 'Покупатели', `SELECT uniqExact(${p.customer_key}) AS "Покупатели" FROM ${purchases.name} ${purchasesWhere}`, 'short', 0),
  {
    id: 7,
    kind: 'timeseries',
    title: 'Покупки по дням',
    grid: { x: 0, y: 4, w: 12, h: 8 },
    sql: `SELECT toDateTime(${d.purchase_date}) AS time, sum(${d.purchases}) AS "Покупки" FROM ${salesDailyStore.name} ${dailyWhere} GROUP BY time ORDER BY time`,
    format: 'timeseries',
    unit: 'short',
    decimals: 0,
  },
  {
    id: 8,
    kind: 'timeseries',
    title: 'Выручка по дням',
    grid: { x: 12, y: 4, w: 12, h: 8 },
    sql: `SELECT toDateTime(${d.purchase_date}) AS time, sum(${d.revenue}) AS "Выручка" FROM ${salesDailyStore.name} ${dailyWhere} GROUP BY time ORDER BY time`,
    format: 'timeseries',
    unit: 'currencyRUB',
    decimals: 0,
  },
  {
    id: 9,
    kind: 'barchart',
    title: 'Выручка по сетям',
    grid: { x: 0, y: 12, w: 8, h: 9 },
    sql: `SELECT ${d.store_network} AS "Сеть", sum(${d.revenue}) AS "Выручка" FROM ${salesDailyStore.name} ${dailyWhere} GROUP BY "Сеть" ORDER BY "Выручка" DESC, "Сеть"`,
    format: 'table',
    unit: 'currencyRUB',
    decimals: 0,
    xField: 'Сеть',
  },
  {
    id: 10,
    kind: 'barchart',
    title: 'Выручка по городам (топ-15)',
    grid: { x: 8, y: 12, w: 16, h: 9 },
    sql: `SELECT ${d.store_city} AS "Город", sum(${d.revenue}) AS "Выручка" FROM ${salesDailyStore.name} ${dailyWhere} GROUP BY "Город" ORDER BY "Выручка" DESC, "Город" LIMIT 15`,
    format: 'table',
    unit: 'currencyRUB',
    decimals: 0,
    xField: 'Город',
  },
  {
    id: 11,
    kind: 'table',
    title: 'Магазины',
    grid: { x: 0, y: 21, w: 12, h: 9 },
    sql:
      `SELECT ${d.store_name} AS "Магазин", ${d.store_network} AS "Сеть", ${d.store_city} AS "Город", sum(${d.purchases}) AS "Покупки", ` +
      `sum(${d.revenue}) AS "Выручка, ₽", round(toFloat64(sum(${d.revenue})) / sum(${d.purchases}), 2) AS "Средний чек, ₽" FROM ${salesDailyStore.name} ${dailyWhere} ` +
      `GROUP BY "Магазин", "Сеть", "Город" ORDER BY "Выручка, ₽" DESC, "Магазин"`,
    format: 'table',
    unit: 'none',
    decimals: 2,
  },
  {
    id: 12,
    kind: 'table',
    title: 'Топ-10 товаров',
    grid: { x: 12, y: 21, w: 12, h: 9 },
    sql:
      `SELECT ifNull(${i.product_name}, '') AS "Товар", ${i.category} AS "Категория", sum(${i.quantity}) AS "Продано, шт.", sum(${i.total_price}) AS "Выручка, ₽" ` +
      `FROM ${purchaseItems.name} ${itemsWhere} GROUP BY "Товар", "Категория" ORDER BY "Выручка, ₽" DESC, "Товар" LIMIT 10`,
    format: 'table',
    unit: 'none',
    decimals: 2,
  },
  pie(
    13,
    0,
    'Категории (выручка)',
    `SELECT ${i.category} AS "Категория", sum(${i.total_price}) AS "Выручка" FROM ${purchaseItems.name} ${itemsWhere} GROUP BY "Категория" ORDER BY "Выручка" DESC, "Категория"`,
    'currencyRUB',
  ),
  pie(
    14,
    6,
    'Способы оплаты',
    `SELECT ${p.payment_method} AS "Способ оплаты", count() AS "Покупки" FROM ${purchases.name} ${purchasesWhere} GROUP BY "Способ оплаты" ORDER BY "Покупки" DESC, "Способ оплаты"`,
  ),
  pie(
    15,
    12,
    'Доставка',
    `SELECT if(${p.is_delivery}, 'Доставка', 'В магазине') AS "Покупка", count() AS "Покупки" FROM ${purchases.name} ${purchasesWhere} GROUP BY "Покупка" ORDER BY "Покупка"`,
  ),
  pie(
    16,
    18,
    'Программа лояльности',
    `SELECT if(${p.customer_is_loyalty_member}, 'С картой лояльности', 'Без карты') AS "Покупатель", count() AS "Покупки" FROM ${purchases.name} ${purchasesWhere} GROUP BY "Покупатель" ORDER BY "Покупатель"`,
  ),
];

export const salesDashboard: DashboardSpec = {
  uid: SALES_DASHBOARD_UID,
  title: 'Пикча — продажи',
  file: 'sales.json',
  tags: ['piccha', 'продажи'],
  timeFrom: 'now-90d',
  variables,
  panels,
};
