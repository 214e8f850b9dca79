import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE_REF } from './datasource.js';

/** A dashboard variable fed by a ClickHouse query; multi-select with «Все». */
export interface VariableSpec {
  readonly name: string;
  readonly label: string;
  /**
   * Two columns: the value, `optionValue(column)`, then the text shown (the plugin takes the first
   * column as the value and the second as the text); may use earlier variables through `selectedIn`.
   */
  readonly sql: string;
}

/*
 * Variable values come from the data (store documents), and Grafana's `:singlequote` escapes `'`
 * but not `\`, so a value ending in `\` would end the literal early and the next value would run
 * as SQL. Values set from a URL are not even checked against the options. So a selection reaches
 * SQL only `:percentencode`d, inside a literal that can then hold only [A-Za-z0-9%._~-] whatever
 * was selected, and the values are hex, which keeps the encoded `{v1,v2}` list unambiguous.
 */

/** The value column of a variable query: hex digits only, whatever the column holds. */
export const optionValue = (column: string): string => `hex(${column})`;

/**
 * `column` is among the values selected in `variable` (each `optionValue` of a row), or anything
 * for «Все». A set subquery, so ClickHouse still uses the column in a primary key.
 */
export function selectedIn(column: string, variable: string): string {
  const hexes = `splitByChar(',', trim(BOTH '{}' FROM decodeURLComponent('\${${variable}:percentencode}')))`;
  return `$__conditionalAll(${column} IN (SELECT unhex(arrayJoin(${hexes}))), $${variable})`;
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
