import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProvisioning, DEFAULT_BUILD_SETTINGS } from '../../dashboards/build.js';
import { renderPreview } from '../../dashboards/preview/render.js';
import { writeProvisioning } from '../../dashboards/write.js';
import type { ClickHouse } from '../clickhouse/clickhouse.js';

export interface DashboardFiles {
  readonly provisioning: string;
  readonly preview: string;
}

/** Grafana's provisioning tree and the dashboards preview, under the state folder. */
export async function writeDashboards(stateDir: string, clickhouse: ClickHouse): Promise<DashboardFiles> {
  const provisioning = join(stateDir, 'grafana', 'provisioning');
  writeProvisioning(provisioning, buildProvisioning(DEFAULT_BUILD_SETTINGS));
  const { html } = await renderPreview(clickhouse, new Date());
  const folder = join(stateDir, 'preview');
  const preview = join(folder, 'dashboards.html');
  mkdirSync(folder, { recursive: true });
  // Replaced whole: a browser reloading the page while it is rewritten never reads half of it.
  const temporary = `${preview}.${process.pid}.tmp`;
  writeFileSync(temporary, html, 'utf8');
  renameSync(temporary, preview);
  return { provisioning, preview };
}
