import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPreview, type DashboardData } from '../../../dashboards/preview/render.js';
import { formatValue } from '../../../dashboards/preview/format.js';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { projectRoot } from '../../../pipeline/config/project-root.js';
import { refreshableViews, refreshViews } from '../../../pipeline/mart/refresh.js';
import { feedRaw, generateRun } from '../../helpers/raw-feed.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** Debian's chromium (installed by .ci/run); CHROMIUM_PATH points elsewhere if needed. */
interface PanelView {
  id: string;
  kind: string;
  rendered: string | undefined;
  rows: number;
  canvas: boolean;
  text: string;
  title: string;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = makeTempDir('preview');
const page = join(dir.path, 'preview.html');
let dashboards: DashboardData[] = [];
let run: ReturnType<typeof generateRun>;
let browser: Browser;

beforeAll(async () => {
  const now = Date.now();
  // Heavy defects: rejected rows and duplicates exist, so every quality panel has data too.
  run = generateRun('heavy', 11, now - 60_000);
  const clickhouse = new EmbeddedClickHouse(join(dir.path, 'clickhouse'));
  try {
    const migrations = readMigrations(defaultMigrationsDir());
    await migrate(clickhouse, migrations);
    await feedRaw(clickhouse, run, now);
    await refreshViews(clickhouse, refreshableViews(migrations));
    // The plugin's range ends at a whole second (its $__timeFilter truncates): end it past the rows just written.
    const preview = await renderPreview(clickhouse, new Date(Date.now() + 2000));
    dashboards = preview.dashboards;
    writeFileSync(page, preview.html);
  } finally {
    await clickhouse.close();
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  dir.remove();
});

describe('dashboards preview in headless Chromium', () => {
  it('renders every panel of both dashboards with data, charts drawn by ECharts, and no page errors', async () => {
    const tab = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    tab.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await tab.goto(`file://${page}`);
    await tab.waitForSelector('body[data-ready="true"]');
    await tab.waitForFunction("[...document.querySelectorAll('.panel')].every((panel) => panel.dataset.rendered !== undefined)");
    const panels = await tab.evaluate<PanelView[]>(
      "[...document.querySelectorAll('.panel')].map((p) => ({ id: p.id, kind: p.dataset.kind, rendered: p.dataset.rendered, rows: Number(p.dataset.rows), " +
        "canvas: p.querySelector('canvas') !== null, text: p.querySelector('.body').textContent, title: p.querySelector('h3').textContent }))",
    );
    const expected = dashboards.flatMap((dashboard) => dashboard.panels.map((panel) => ({ id: `${dashboard.uid}-${panel.id}`, title: panel.title })));
    expect(panels.map(({ id, title }) => ({ id, title }))).toEqual(expected);
    for (const panel of panels) {
      expect(panel.rendered, panel.title).toBe('true');
      expect(panel.rows, panel.title).toBeGreaterThan(0);
      if (['timeseries', 'barchart', 'piechart'].includes(panel.kind)) expect(panel.canvas, panel.title).toBe(true);
    }
    const sales = dashboards.find((dashboard) => dashboard.uid === 'piccha-sales');
    const purchases = sales?.panels.find((panel) => panel.title === 'Покупки');
    expect(panels.find((panel) => panel.title === 'Покупки')?.text).toBe(formatValue(purchases?.rows[0]?.[0], 'short', 0));
    const revenue = sales?.panels.find((panel) => panel.title === 'Выручка');
    expect(panels.find((panel) => panel.title === 'Выручка')?.text).toMatch(/₽$/);
    expect(revenue?.rows[0]?.[0]).toBeDefined();
    const quality = dashboards.find((dashboard) => dashboard.uid === 'piccha-quality');
    const rejected = Number(quality?.panels.find((panel) => panel.title === 'Отклонено строк за период')?.rows[0]?.[0]);
    const rejectedInManifest = Object.values(run.manifest.defects).flatMap((byEntity) => [byEntity.stores?.count ?? 0, byEntity.purchases?.count ?? 0]);
    expect(rejected).toBeGreaterThan(0);
    expect(rejected).toBeLessThanOrEqual(rejectedInManifest.reduce((a, b) => a + b, 0));
    expect(errors).toEqual([]);

    // The README's screenshot, taken the same way when asked for.
    if (process.env.PICCHA_PREVIEW_SCREENSHOT === '1') {
      const out = join(projectRoot(), 'docs');
      if (!existsSync(out)) mkdirSync(out);
      await tab.setViewportSize({ width: 1600, height: 1200 });
      await tab.locator('#piccha-sales').screenshot({ path: join(out, 'preview-sales.png') });
      await tab.locator('#piccha-quality').screenshot({ path: join(out, 'preview-quality.png') });
    }
    await tab.close();
    // Chromium's start-up and layout take seconds on a busy two-core machine.
  }, 60_000);
});
