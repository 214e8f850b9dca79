import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE_REF } from './datasource.js';
import { ClickHouseQueryBuilder } from './query/clickhouse-query.js';

export type PanelKind = 'stat' | 'timeseries' | 'barchart' | 'piechart' | 'table';

/** Grafana units we use: roubles, counts, percent, minutes. */
export type PanelUnit = 'currencyRUB' | 'short' | 'percent' | 'm' | 'none';

/**
 * One panel: its query is written here once and read by Grafana (the built JSON), by the tests
 * that run it on ClickHouse and by the preview.
 */
export interface PanelSpec {
  readonly id: number;
  readonly kind: PanelKind;
  readonly title: string;
  readonly description?: string;
  /** Position on Grafana's 24-column grid. */
  readonly grid: dashboard.GridPos;
  readonly sql: string;
  /** `timeseries` targets: a DateTime column, numeric values, an optional string column splitting series. */
  readonly format: 'table' | 'timeseries';
  readonly unit: PanelUnit;
  readonly decimals?: number;
  /** A threshold drawn on the panel (a line on charts, a colour step on stats). */
  readonly threshold?: number;
  /** Bar charts: the category column. */
  readonly xField?: string;
}

function target(spec: PanelSpec): ClickHouseQueryBuilder {
  const query = new ClickHouseQueryBuilder(spec.sql).refId('A');
  return spec.format === 'timeseries' ? query.timeSeries() : query;
}

function thresholds(spec: PanelSpec): dashboard.ThresholdsConfigBuilder {
  const steps: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  if (spec.threshold !== undefined) steps.push({ value: spec.threshold, color: 'red' });
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

const legend = () => new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom);

interface CommonPanel<T> {
  id(id: number): T;
  title(title: string): T;
  description(description: string): T;
  gridPos(gridPos: dashboard.GridPos): T;
  datasource(datasource: common.DataSourceRef): T;
  withTarget(target: Builder<Dataquery>): T;
  unit(unit: string): T;
  decimals(decimals: number): T;
  thresholds(thresholds: Builder<dashboard.ThresholdsConfig>): T;
}

function withCommon<T extends CommonPanel<T>>(builder: T, spec: PanelSpec): T {
  let panel = builder
    .id(spec.id)
    .title(spec.title)
    .gridPos(spec.grid)
    .datasource({ ...DATASOURCE_REF })
    .withTarget(target(spec))
    .unit(spec.unit)
    .thresholds(thresholds(spec));
  if (spec.description !== undefined) panel = panel.description(spec.description);
  if (spec.decimals !== undefined) panel = panel.decimals(spec.decimals);
  return panel;
}

/** The SDK panel builder for a spec. */
export function panelBuilder(spec: PanelSpec): Builder<dashboard.Panel> {
  switch (spec.kind) {
    case 'stat':
      return withCommon(new stat.PanelBuilder(), spec)
        .graphMode(common.BigValueGraphMode.None)
        .colorMode(spec.threshold === undefined ? common.BigValueColorMode.None : common.BigValueColorMode.Background)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
    case 'timeseries':
      return withCommon(new timeseries.PanelBuilder(), spec)
        .legend(legend())
        .drawStyle(common.GraphDrawStyle.Line)
        .lineWidth(2)
        .showPoints(common.VisibilityMode.Auto)
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(spec.threshold === undefined ? common.GraphThresholdsStyleMode.Off : common.GraphThresholdsStyleMode.Dashed));
    case 'barchart': {
      const panel = withCommon(new barchart.PanelBuilder(), spec).legend(legend()).showValue(common.VisibilityMode.Auto);
      return spec.xField === undefined ? panel : panel.xField(spec.xField);
    }
    case 'piechart':
      return withCommon(new piechart.PanelBuilder(), spec)
        .pieType(piechart.PieChartType.Donut)
        .displayLabels([piechart.PieChartLabels.Percent])
        .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs(['lastNotNull']));
    case 'table':
      return withCommon(new table.PanelBuilder(), spec);
  }
}
