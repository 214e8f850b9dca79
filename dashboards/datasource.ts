/**
 * The one ClickHouse datasource every panel and rule refers to. Its uid is fixed, so that
 * dashboards and rules built here resolve to it in any Grafana that loads our provisioning.
 */
export const DATASOURCE_TYPE = 'grafana-clickhouse-datasource';
export const DATASOURCE_UID = 'piccha-clickhouse';
export const DATASOURCE_NAME = 'ClickHouse (Пикча)';
/** The plugin version our targets are written for: macros of ≥ 4.19 (macropro), numeric `format`. */
export const PLUGIN_VERSION = '4.20.0';

export const DATASOURCE_REF = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID } as const;

export type ClickHouseProtocol = 'native' | 'http';

/** Where Grafana reaches ClickHouse; the password is referenced, never written (see build settings). */
export interface DatasourceSettings {
  readonly host: string;
  readonly port: number;
  readonly protocol: ClickHouseProtocol;
  readonly secure: boolean;
  readonly database: string;
  readonly user: string;
  /** A Grafana provisioning reference such as `$CLICKHOUSE_PASSWORD`, expanded by Grafana at start. */
  readonly passwordFrom: string;
}

/** The `datasources:` provisioning document (apiVersion 1). */
export function datasourceProvisioning(settings: DatasourceSettings): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: DATASOURCE_NAME,
        type: DATASOURCE_TYPE,
        uid: DATASOURCE_UID,
        orgId: 1,
        editable: false,
        // Panels and rules name this uid; not claiming "default" leaves room for other datasources (Grafana allows one default).
        isDefault: false,
        jsonData: {
          host: settings.host,
          port: settings.port,
          protocol: settings.protocol,
          secure: settings.secure,
          username: settings.user,
          defaultDatabase: settings.database,
        },
        secureJsonData: { password: settings.passwordFrom },
      },
    ],
  };
}
