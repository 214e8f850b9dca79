import { describe, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/config.js';
import { ServerClickHouse } from '../../pipeline/clickhouse/server.js';
import { clickhouseContract } from '../helpers/clickhouse-contract.js';

const config = process.env.CLICKHOUSE_URL ? loadConfig().clickhouse : undefined;

if (config?.mode === 'server') {
  clickhouseContract(`ClickHouse contract: server at ${new URL(config.url).host}`, () => new ServerClickHouse(config));
} else {
  process.stderr.write('ClickHouse server contract skipped: CLICKHOUSE_URL is not set\n');
  describe('ClickHouse contract: server', () => {
    it.skip('skipped: set CLICKHOUSE_URL (and CLICKHOUSE_USER / CLICKHOUSE_PASSWORD) to run the contract against a ClickHouse server', () => {});
  });
}
