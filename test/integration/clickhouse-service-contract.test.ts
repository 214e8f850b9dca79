import { ServerClickHouse } from '../../pipeline/clickhouse/server.js';
import { clickhouseContract } from '../helpers/clickhouse-contract.js';
import { clickhouseServiceOptions } from '../helpers/services.js';

const service = clickhouseServiceOptions();

// The server implementation, unchanged, against the local service: always run, since the service is local.
clickhouseContract(`ClickHouse contract: local service at ${new URL(service.url).host}`, () =>
  new ServerClickHouse({ url: service.url, user: service.username, password: service.password, database: 'default' }),
);
