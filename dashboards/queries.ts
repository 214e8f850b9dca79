import { DASHBOARDS } from './build.js';
import type { PanelSpec } from './panels.js';

/** Every query the dashboards send, with where it comes from: for tests, the preview and reviews. */
export interface DashboardQuery {
  readonly dashboard: string;
  readonly kind: 'panel' | 'variable';
  readonly title: string;
  readonly sql: string;
  readonly panel?: PanelSpec;
}

export function dashboardQueries(): DashboardQuery[] {
  return DASHBOARDS.flatMap((dashboard) => [
    ...dashboard.variables.map((variable) => ({ dashboard: dashboard.uid, kind: 'variable' as const, title: variable.name, sql: variable.sql })),
    ...dashboard.panels.map((panel) => ({ dashboard: dashboard.uid, kind: 'panel' as const, title: panel.title, sql: panel.sql, panel })),
  ]);
}

/** The query of the panel with this title. */
export function panelQuery(title: string): string {
  const found = dashboardQueries().find((query) => query.kind === 'panel' && query.title === title);
  if (!found) throw new Error(`no panel titled «${title}»`);
  return found.sql;
}

export function variableQuery(name: string): string {
  const found = dashboardQueries().find((query) => query.kind === 'variable' && query.title === name);
  if (!found) throw new Error(`no variable ${name}`);
  return found.sql;
}
