import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ClickHouse, Row } from '../../pipeline/clickhouse/clickhouse.js';
import { DASHBOARDS } from '../build.js';
import type { DashboardSpec } from '../dashboard-spec.js';
import type { PanelSpec } from '../panels.js';
import { expandMacros, type VariableValue } from '../query/macros.js';
import { formatValue } from './format.js';

/** Grafana's grid: 24 columns, rows of 30 px with 8 px gaps. */
const ROW_PX = 30;
const GAP_PX = 8;

export interface PanelData {
  readonly id: number;
  readonly kind: PanelSpec['kind'];
  readonly title: string;
  readonly grid: PanelSpec['grid'];
  readonly unit: PanelSpec['unit'];
  readonly decimals: number | undefined;
  readonly threshold: number | undefined;
  readonly xField: string | undefined;
  readonly columns: string[];
  readonly rows: unknown[][];
  /** Stats and table cells, formatted here so that the page needs no unit logic of its own. */
  readonly formatted: string[][];
  readonly error?: string;
}

export interface DashboardData {
  readonly uid: string;
  readonly title: string;
  readonly range: { readonly from: string; readonly to: string };
  readonly panels: PanelData[];
}

/** `now-90d` → milliseconds before now. */
export function lookbackMs(timeFrom: string): number {
  const match = /^now-(\d+)([mhd])$/.exec(timeFrom);
  if (!match) throw new Error(`unsupported dashboard time range ${timeFrom}`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** Runs each panel's query as Grafana would on first load: the default range, every variable «Все». */
export async function collectDashboard(clickhouse: ClickHouse, spec: DashboardSpec, now: Date): Promise<DashboardData> {
  const from = new Date(now.getTime() - lookbackMs(spec.timeFrom));
  const variables: Record<string, VariableValue> = Object.fromEntries(spec.variables.map((variable) => [variable.name, { all: true }]));
  const panels: PanelData[] = [];
  for (const panel of spec.panels) {
    let rows: Row[] = [];
    let error: string | undefined;
    try {
      rows = await clickhouse.query(expandMacros(panel.sql, { from, to: now, intervalMs: 3_600_000, variables }));
    } catch (cause) {
      error = cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause);
    }
    const columns = rows.length > 0 ? Object.keys(rows[0] ?? {}) : [];
    const values = rows.map((row) => columns.map((column) => row[column]));
    const numeric = (column: string) => rows.every((row) => row[column] === null || (typeof row[column] !== 'boolean' && Number.isFinite(Number(row[column]))));
    // Counts stay whole in tables whose other columns carry decimals, as Grafana shows integer fields.
    const whole = (column: string) => rows.every((row) => Number.isInteger(Number(row[column])) && typeof row[column] === 'string');
    const formatted = values.map((row) =>
      row.map((cell, index) => {
        const column = columns[index] ?? '';
        if (!numeric(column)) return cell === null || cell === undefined ? '—' : typeof cell === 'string' ? cell : JSON.stringify(cell);
        return formatValue(cell, panel.unit, whole(column) ? 0 : panel.decimals);
      }),
    );
    panels.push({
      id: panel.id,
      kind: panel.kind,
      title: panel.title,
      grid: panel.grid,
      unit: panel.unit,
      decimals: panel.decimals,
      threshold: panel.threshold,
      xField: panel.xField,
      columns,
      rows: values,
      formatted,
      ...(error === undefined ? {} : { error }),
    });
  }
  return { uid: spec.uid, title: spec.title, range: { from: from.toISOString(), to: now.toISOString() }, panels };
}

/** ECharts and its Russian locale (month names, toolbox texts), inlined so the page works offline. */
function echartsSource(): string {
  const require = createRequire(import.meta.url);
  return ['echarts/dist/echarts.min.js', 'echarts/i18n/langRU.js'].map((file) => readFileSync(require.resolve(file), 'utf8')).join('\n;\n');
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** JSON that cannot close the script element it sits in. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function panelHtml(dashboard: DashboardData, panel: PanelData): string {
  const { x, y, w, h } = panel.grid;
  const style = `grid-column:${x + 1} / span ${w};grid-row:${y + 1} / span ${h}`;
  return `<section class="panel ${panel.kind}" id="${dashboard.uid}-${panel.id}" data-kind="${panel.kind}" data-rows="${panel.rows.length}" style="${style}"><h3>${escapeHtml(panel.title)}</h3><div class="body"></div></section>`;
}

function dashboardHtml(dashboard: DashboardData): string {
  const rows = Math.max(...dashboard.panels.map((panel) => panel.grid.y + panel.grid.h));
  const range = `${new Date(dashboard.range.from).toLocaleDateString('ru-RU', { timeZone: 'Europe/Moscow' })} — ${new Date(dashboard.range.to).toLocaleDateString('ru-RU', { timeZone: 'Europe/Moscow' })}`;
  return (
    `<article class="dashboard" id="${dashboard.uid}"><header><h2>${escapeHtml(dashboard.title)}</h2><span class="range">${range}, все сети, города и магазины</span></header>` +
    `<div class="grid" style="grid-template-rows:repeat(${rows}, ${ROW_PX}px)">${dashboard.panels.map((panel) => panelHtml(dashboard, panel)).join('')}</div></article>`
  );
}

/** The page script: draws each panel from the embedded data with ECharts and marks it rendered. */
const PAGE_SCRIPT = String.raw`
const data = JSON.parse(document.getElementById('piccha-data').textContent);
const palette = ['#5794F2', '#73BF69', '#F2CC0C', '#FF9830', '#F2495C', '#B877D9', '#8AB8FF', '#96D98D'];
const locale = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 2 });
const unitSuffix = { currencyRUB: ' ₽', percent: ' %', m: ' мин', short: '', none: '' };
const valueAxis = (panel) => ({ type: 'value', axisLabel: axisLabel(panel.unit), max: panel.threshold === undefined ? undefined : (range) => Math.max(range.max, panel.threshold * 1.1) });
const axisLabel = (unit) => ({ formatter: (v) => locale.format(v) + (unitSuffix[unit] || '') });
function chart(el, panel, option) {
  const instance = echarts.init(el, null, { renderer: 'canvas', locale: 'RU' });
  instance.on('finished', () => el.closest('.panel').dataset.rendered = 'true');
  instance.setOption({ animation: false, color: palette, textStyle: { color: '#ccccdc' }, grid: { left: 70, right: 20, top: 20, bottom: 50 }, tooltip: { trigger: 'item' }, ...option });
}
function thresholdLine(panel) {
  return panel.threshold === undefined ? undefined : { silent: true, symbol: 'none', lineStyle: { color: '#F2495C', type: 'dashed' }, data: [{ yAxis: panel.threshold }], label: { formatter: 'порог ' + panel.threshold + (unitSuffix[panel.unit] || '') } };
}
function render(dashboard, panel) {
  const section = document.getElementById(dashboard.uid + '-' + panel.id);
  const body = section.querySelector('.body');
  if (panel.error) { body.innerHTML = '<p class="error"></p>'; body.firstChild.textContent = panel.error; section.dataset.rendered = 'error'; return; }
  if (panel.rows.length === 0) { body.innerHTML = '<p class="nodata">Нет данных</p>'; section.dataset.rendered = 'empty'; return; }
  const numericColumns = panel.columns.filter((c, i) => panel.rows.every((r) => r[i] === null || typeof r[i] === 'number' || (typeof r[i] === 'string' && r[i] !== '' && !isNaN(Number(r[i])) && c !== panel.xField)));
  const col = (name) => panel.columns.indexOf(name);
  if (panel.kind === 'stat') {
    body.innerHTML = '<div class="stat"></div>';
    body.firstChild.textContent = panel.formatted[panel.formatted.length - 1][0];
    if (panel.threshold !== undefined && Number(panel.rows[panel.rows.length - 1][0]) > panel.threshold) body.firstChild.classList.add('breach');
    section.dataset.rendered = 'true';
    return;
  }
  if (panel.kind === 'table') {
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    for (const c of panel.columns) { const th = document.createElement('th'); th.textContent = c; head.appendChild(th); }
    const tbody = table.createTBody();
    for (const row of panel.formatted) { const tr = tbody.insertRow(); for (const cell of row) tr.insertCell().textContent = cell; }
    body.appendChild(table);
    section.dataset.rendered = 'true';
    return;
  }
  if (panel.kind === 'piechart') {
    const [name, value] = panel.columns;
    chart(body, panel, { legend: { bottom: 0, textStyle: { color: '#ccccdc' } }, series: [{ type: 'pie', radius: ['40%', '70%'], top: -20, percentPrecision: 0, label: { formatter: '{d}%', color: '#ccccdc' },
      data: panel.rows.map((r) => ({ name: String(r[col(name)]), value: Number(r[col(value)]) })) }] });
    return;
  }
  if (panel.kind === 'barchart') {
    const x = panel.xField || panel.columns[0];
    const values = panel.columns.filter((c) => c !== x && numericColumns.includes(c));
    chart(body, panel, { xAxis: { type: 'category', data: panel.rows.map((r) => String(r[col(x)])), axisLabel: { rotate: panel.rows.length > 6 ? 30 : 0, color: '#ccccdc' } },
      yAxis: valueAxis(panel), tooltip: { trigger: 'axis' },
      series: values.map((v, i) => ({ type: 'bar', name: v, data: panel.rows.map((r) => Number(r[col(v)])), markLine: i === 0 ? thresholdLine(panel) : undefined })) });
    return;
  }
  // timeseries: a time column, optional string column splitting series, numeric value columns
  const time = col('time');
  const split = panel.columns.find((c, i) => i !== time && !numericColumns.includes(c));
  const values = panel.columns.filter((c, i) => i !== time && c !== split && numericColumns.includes(c));
  const series = new Map();
  for (const r of panel.rows) for (const v of values) {
    const name = split ? String(r[col(split)]) : v;
    if (!series.has(name)) series.set(name, []);
    series.get(name).push([String(r[time]).replace(' ', 'T'), Number(r[col(v)])]);
  }
  chart(body, panel, { legend: { bottom: 0, textStyle: { color: '#ccccdc' } }, tooltip: { trigger: 'axis' }, xAxis: { type: 'time', axisLabel: { color: '#ccccdc' } }, yAxis: valueAxis(panel),
    series: [...series].map(([name, points], i) => ({ type: 'line', name, data: points, showSymbol: points.length < 40, markLine: i === 0 ? thresholdLine(panel) : undefined })) });
}
for (const dashboard of data) for (const panel of dashboard.panels) render(dashboard, panel);
document.body.dataset.ready = 'true';
`;

const STYLE = `
body{margin:0;background:#111217;color:#ccccdc;font:14px Inter,Roboto,"Helvetica Neue",Arial,sans-serif}
.dashboard{padding:16px 24px}
.dashboard header{display:flex;align-items:baseline;gap:16px}
.dashboard h2{font-size:20px;font-weight:500;margin:8px 0 16px}
.range{color:#8e8e9e}
.grid{display:grid;grid-template-columns:repeat(24,1fr);gap:${GAP_PX}px}
.panel{background:#181b1f;border:1px solid #2c3235;border-radius:2px;display:flex;flex-direction:column;min-width:0;overflow:hidden}
.panel h3{font-size:14px;font-weight:500;margin:0;padding:8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.body{flex:1;min-height:0;position:relative;overflow:auto}
.stat{display:flex;align-items:center;justify-content:center;height:100%;font-size:32px;font-weight:500;color:#73BF69}
.stat.breach{color:#F2495C}
table{width:100%;border-collapse:collapse;font-size:12px}
th,td{padding:4px 8px;border-bottom:1px solid #2c3235;text-align:left;white-space:nowrap}
th{color:#6e9fff;font-weight:500;position:sticky;top:0;background:#181b1f}
.nodata,.error{color:#8e8e9e;text-align:center;margin-top:20px}.error{color:#F2495C}
`;

/** The whole page: every dashboard laid out as its grid, with the charting library and data inlined. */
export function renderPreviewHtml(dashboards: readonly DashboardData[]): string {
  return (
    `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Пикча — дашборды (предпросмотр)</title><style>${STYLE}</style></head><body>` +
    dashboards.map(dashboardHtml).join('') +
    `<script id="piccha-data" type="application/json">${scriptJson(dashboards)}</script>` +
    `<script>${echartsSource()}</script><script>${PAGE_SCRIPT}</script></body></html>\n`
  );
}

export async function renderPreview(clickhouse: ClickHouse, now: Date): Promise<{ html: string; dashboards: DashboardData[] }> {
  const dashboards: DashboardData[] = [];
  for (const spec of DASHBOARDS) dashboards.push(await collectDashboard(clickhouse, spec, now));
  return { html: renderPreviewHtml(dashboards), dashboards };
}
