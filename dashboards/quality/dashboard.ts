import type { DashboardSpec } from '../dashboard-spec.js';
import { dataQualityLog, duplicatesLog, LAYER_DATABASES, rejectedRows } from '../marts.js';
import type { PanelSpec } from '../panels.js';
import { THRESHOLDS } from '../thresholds.js';

export const QUALITY_DASHBOARD_UID = 'piccha-quality';
/** The panel the duplicates alert links to. */
export const DUPLICATES_PANEL_ID = 2;

const d = duplicatesLog.c;
const r = rejectedRows.c;
const q = dataQualityLog.c;

/** A rejected row counts under every rule it broke; one refused before RAW under who refused it. */
const ruleOfRejected = `arrayJoin(if(empty(${r.broken_rules}), [toString(${r.rejected_by})], ${r.broken_rules}))`;

const layers = LAYER_DATABASES.map((name) => `'${name}'`).join(', ');

/** Minutes since the newest purchase arrived, as of the latest data-quality refresh; no rows before the first one. */
export const FRESHNESS_SQL =
  `SELECT dateDiff('minute', argMax(${q.newest_arrival}, ${q.timestamp}), now()) AS "Минут" ` +
  `FROM ${dataQualityLog.name} WHERE ${q.entity} = 'purchases' HAVING count() > 0 AND argMax(${q.newest_arrival}, ${q.timestamp}) IS NOT NULL`;

const panels: PanelSpec[] = [
  {
    id: 1,
    kind: 'barchart',
    title: 'Дубликаты сейчас, по сущностям',
    description: 'Доля дубликатов в последнем проверенном окне каждой сущности; пунктир — порог алерта.',
    grid: { x: 0, y: 0, w: 8, h: 8 },
    sql:
      `SELECT ${d.entity} AS "Сущность", argMax(${d.duplicate_percentage}, ${d.timestamp}) AS "Дубликаты" ` +
      `FROM ${duplicatesLog.name} GROUP BY "Сущность" ORDER BY "Сущность"`,
    format: 'table',
    unit: 'percent',
    decimals: 1,
    threshold: THRESHOLDS.duplicatePercent,
    xField: 'Сущность',
  },
  {
    id: DUPLICATES_PANEL_ID,
    kind: 'timeseries',
    title: 'Доля дубликатов по сущностям',
    description: 'Каждая точка — одно окно проверки дубликатов; пунктир — порог алерта «Дубликаты > 50%».',
    grid: { x: 8, y: 0, w: 16, h: 8 },
    sql:
      `SELECT ${d.timestamp} AS time, ${d.entity} AS "Сущность", ${d.duplicate_percentage} AS "Дубликаты" ` +
      `FROM ${duplicatesLog.name} WHERE $__timeFilter(${d.timestamp}) ORDER BY time`,
    format: 'timeseries',
    unit: 'percent',
    decimals: 1,
    threshold: THRESHOLDS.duplicatePercent,
  },
  {
    id: 3,
    kind: 'stat',
    title: 'Свежесть: минут с последней покупки',
    description: 'Сколько минут назад в ClickHouse пришла последняя покупка (по последней записи data_quality_log).',
    grid: { x: 0, y: 8, w: 6, h: 5 },
    sql: FRESHNESS_SQL,
    format: 'table',
    unit: 'm',
    decimals: 0,
    threshold: THRESHOLDS.freshnessMinutes,
  },
  {
    id: 4,
    kind: 'stat',
    title: 'Отклонено строк за период',
    grid: { x: 6, y: 8, w: 6, h: 5 },
    sql: `SELECT count() AS "Отклонено" FROM ${rejectedRows.name} WHERE $__timeFilter(${r.ingested_at})`,
    format: 'table',
    unit: 'short',
    decimals: 0,
  },
  {
    id: 5,
    kind: 'barchart',
    title: 'Отклонённые строки по правилам',
    grid: { x: 12, y: 8, w: 12, h: 10 },
    sql:
      `SELECT concat(toString(${r.entity}), ': ', ${ruleOfRejected}) AS "Правило", count() AS "Строк" FROM ${rejectedRows.name} ` +
      `WHERE $__timeFilter(${r.ingested_at}) GROUP BY "Правило" ORDER BY "Строк" DESC, "Правило"`,
    format: 'table',
    unit: 'short',
    decimals: 0,
    xField: 'Правило',
  },
  {
    id: 6,
    kind: 'table',
    title: 'Последнее окно проверки дубликатов',
    grid: { x: 0, y: 13, w: 12, h: 5 },
    sql:
      `SELECT ${d.entity} AS "Сущность", max(${d.window_end}) AS "Окно до", argMax(${d.documents}, ${d.timestamp}) AS "Документов", ` +
      `argMax(${d.unique_keys}, ${d.timestamp}) AS "Уникальных ключей", argMax(${d.duplicates}, ${d.timestamp}) AS "Дубликатов", ` +
      `argMax(${d.duplicate_percentage}, ${d.timestamp}) AS "Доля, %" FROM ${duplicatesLog.name} GROUP BY "Сущность" ORDER BY "Сущность"`,
    format: 'table',
    unit: 'none',
    decimals: 1,
  },
  {
    id: 8,
    kind: 'table',
    title: 'Документы по сущностям',
    description: 'Последняя запись data_quality_log: всего документов = в витрине + дубликаты + отклонённые; неверные email и телефоны — среди всех документов (такой документ остаётся в витрине).',
    grid: { x: 0, y: 18, w: 12, h: 9 },
    sql:
      `SELECT ${q.entity} AS "Сущность", argMax(${q.documents}, ${q.timestamp}) AS "Документов", argMax(${q.kept}, ${q.timestamp}) AS "В витрине", ` +
      `argMax(${q.duplicates}, ${q.timestamp}) AS "Дубликатов", argMax(${q.rejected}, ${q.timestamp}) AS "Отклонено", ` +
      `argMax(${q.invalid_email}, ${q.timestamp}) AS "Неверный email", argMax(${q.invalid_phone}, ${q.timestamp}) AS "Неверный телефон" ` +
      `FROM ${dataQualityLog.name} GROUP BY "Сущность" ORDER BY "Сущность"`,
    format: 'table',
    unit: 'short',
    decimals: 0,
  },
  {
    id: 7,
    kind: 'table',
    title: 'Строк по слоям',
    description: 'Число строк в таблицах RAW, staging и MART по данным ClickHouse (system.tables, без служебных таблиц представлений); MongoDB не источник данных Grafana.',
    grid: { x: 12, y: 18, w: 12, h: 9 },
    sql:
      `SELECT database AS "Слой", name AS "Таблица", total_rows AS "Строк" FROM system.tables ` +
      `WHERE database IN (${layers}) AND total_rows IS NOT NULL AND NOT startsWith(name, '.') ORDER BY "Слой", "Таблица"`,
    format: 'table',
    unit: 'short',
    decimals: 0,
  },
];

export const qualityDashboard: DashboardSpec = {
  uid: QUALITY_DASHBOARD_UID,
  title: 'Пикча — качество данных',
  file: 'quality.json',
  tags: ['piccha', 'качество данных'],
  timeFrom: 'now-7d',
  variables: [],
  panels,
};
