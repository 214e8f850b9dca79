import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE_REF } from './datasource.js';

/** A dashboard variable fed by a ClickHouse query; multi-select with «Все». */
export interface VariableSpec {
  readonly name: string;
  readonly label: string;
  /** One column (value) or two (value, text); may use earlier variables through $__conditionalAll. */
  readonly sql: string;
}

export function variableBuilder(spec: VariableSpec): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(spec.name)
    .label(spec.label)
    .datasource({ ...DATASOURCE_REF })
    .query(spec.sql)
    .definition(spec.sql)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalCaseInsensitiveAsc)
    .multi(true)
    .includeAll(true)
    .current({ text: ['Все'], value: ['$__all'], selected: true });
}
