import { inject } from 'vitest';
import { loadConfig, type Config } from '../../pipeline/config/config.js';
import { createLogger, type Logger } from '../../pipeline/log/logger.js';
import { makeTempDir } from './temp-dir.js';

/** The Kafka broker and MongoDB-protocol server the integration run started. */
export function testServices() {
  return inject('services');
}

/**
 * Environment that points the CLI and the config at the test services, with a state folder of
 * its own: what one command writes there (pii.env, an embedded ClickHouse) cannot change another's outcome.
 */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const services = testServices();
  return { PICCHA_STATE_DIR: makeTempDir('state').path, KAFKA_BROKERS: services.kafkaBrokers, MONGO_URL: services.mongoUrl, ...extra };
}

export function testConfig(extra: Record<string, string> = {}): Config {
  return loadConfig({ ...testEnv(extra), PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR });
}

export const quietLogger: Logger = createLogger('silent');

/** @clickhouse/client options that reach the run's ClickHouse service. */
export function clickhouseServiceOptions() {
  const services = testServices();
  return { url: services.clickhouseUrl, username: 'default', password: services.clickhousePassword };
}
