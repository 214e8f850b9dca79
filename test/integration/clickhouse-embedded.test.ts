import { afterAll } from 'vitest';
import { EmbeddedClickHouse } from '../../pipeline/clickhouse/embedded.js';
import { clickhouseContract } from '../helpers/clickhouse-contract.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const dataDir = makeTempDir('chdb');
afterAll(() => dataDir.remove());

clickhouseContract('ClickHouse contract: embedded engine (chdb)', () => new EmbeddedClickHouse(dataDir.path));
