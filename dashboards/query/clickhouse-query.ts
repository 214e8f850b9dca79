import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { DATASOURCE_REF, PLUGIN_VERSION } from '../datasource.js';

/**
 * The plugin's `format` is a number (0 time series, 1 table); the string "table" fails to
 * unmarshal in its backend.
 */
export enum QueryFormat {
  TimeSeries = 0,
  Table = 1,
}

/** A grafana-clickhouse-datasource SQL target; the foundation SDK has no type for it. */
export interface ClickHouseQuery extends Dataquery {
  refId: string;
  datasource: { type: string; uid: string };
  editorType: 'sql';
  format: QueryFormat;
  queryType: 'table' | 'timeseries';
  pluginVersion: string;
  rawSql: string;
}

/** Builds one ClickHouse target for a panel (`withTarget`) or an alert query (`model`). */
export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly query: ClickHouseQuery;

  constructor(rawSql: string) {
    this.query = {
      refId: 'A',
      datasource: { ...DATASOURCE_REF },
      editorType: 'sql',
      format: QueryFormat.Table,
      queryType: 'table',
      pluginVersion: PLUGIN_VERSION,
      rawSql,
      // Marks the object as a Dataquery for the SDK's types; JSON.stringify drops functions.
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.query.refId = refId;
    return this;
  }

  /** Time series: the first DateTime column is time, the numeric ones values, strings split series. */
  timeSeries(): this {
    this.query.format = QueryFormat.TimeSeries;
    this.query.queryType = 'timeseries';
    return this;
  }

  build(): ClickHouseQuery {
    return { ...this.query };
  }
}

export function isClickHouseQuery(value: unknown): value is ClickHouseQuery {
  return typeof value === 'object' && value !== null && (value as { editorType?: unknown }).editorType === 'sql' && typeof (value as { rawSql?: unknown }).rawSql === 'string';
}
