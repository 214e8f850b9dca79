import { dump } from 'js-yaml';

/** Where and how Grafana reaches ClickHouse; the password is an environment reference, never a value. */
export interface GrafanaBuildSettings {
  /** Host name of ClickHouse as Grafana sees it (a Docker alias, or an existing server's host). */
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'native';
  /** Whether the connection uses TLS (https / native over TLS). */
  readonly secure: boolean;
  readonly database: string;
  readonly user: string;
  /** An environment reference Grafana expands at start, such as `$CLICKHOUSE_PASSWORD`. */
  readonly passwordEnv: `$${string}`;
}

/** One file of Grafana's provisioning tree, relative to its root (datasources/…, dashboards/…, alerting/…). */
export interface ProvisioningFile {
  readonly path: string;
  readonly content: string;
}

/** The ClickHouse datasource's uid, which every panel and alert query names. */
export const CLICKHOUSE_DATASOURCE_UID = 'clickhouse';

/** Grafana's provisioning tree, built from code; the same list for Pulumi, `piccha dashboards build` and the tests. */
export function buildProvisioning(settings: GrafanaBuildSettings): ProvisioningFile[] {
  return [
    {
      path: 'datasources/clickhouse.yaml',
      content: dump(
        {
          apiVersion: 1,
          datasources: [
            {
              name: 'ClickHouse',
              type: 'grafana-clickhouse-datasource',
              uid: CLICKHOUSE_DATASOURCE_UID,
              orgId: 1,
              editable: false,
              isDefault: true,
              jsonData: {
                host: settings.host,
                port: settings.port,
                protocol: settings.protocol,
                secure: settings.secure,
                username: settings.user,
                defaultDatabase: settings.database,
              },
              secureJsonData: { password: settings.passwordEnv },
            },
          ],
        },
        { lineWidth: -1, sortKeys: true },
      ),
    },
  ];
}
