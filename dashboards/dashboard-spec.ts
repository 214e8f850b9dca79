import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { panelBuilder, type PanelSpec } from './panels.js';
import { variableBuilder, type VariableSpec } from './variables.js';

/** A dashboard as we write it: panels and variables as specs, turned into Grafana JSON by the SDK. */
export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  /** File name under dashboards/ in the provisioning tree. */
  readonly file: string;
  readonly tags: readonly string[];
  /** Grafana's default time range start, e.g. `now-90d`. */
  readonly timeFrom: string;
  readonly variables: readonly VariableSpec[];
  readonly panels: readonly PanelSpec[];
}

/** Schema 39 loads unchanged on Grafana 11 and 12 (newer Grafanas migrate it on load). */
export const DASHBOARD_SCHEMA_VERSION = 39;

export function buildDashboard(spec: DashboardSpec): dashboard.Dashboard {
  let builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .tags([...spec.tags])
    .timezone('browser')
    .time({ from: spec.timeFrom, to: 'now' })
    .refresh('5m')
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair);
  for (const variable of spec.variables) builder = builder.withVariable(variableBuilder(variable));
  for (const panel of spec.panels) builder = builder.withPanel(panelBuilder(panel));
  const built = builder.build();
  return { ...built, schemaVersion: DASHBOARD_SCHEMA_VERSION };
}
