import type { ClickHouseConfig } from '../config/config.js';
import type { ClickHouse } from './clickhouse.js';
import { EmbeddedClickHouse } from './embedded.js';
import { ServerClickHouse } from './server.js';

/** Opens the configured ClickHouse: the embedded engine unless CLICKHOUSE_URL names a server. */
export function openClickHouse(config: ClickHouseConfig): ClickHouse {
  return config.mode === 'embedded' ? new EmbeddedClickHouse(config.dataPath) : new ServerClickHouse(config);
}
