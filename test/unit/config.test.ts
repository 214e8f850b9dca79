import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../pipeline/config/config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('loadConfig', () => {
  const dirs: (() => void)[] = [];
  const stateDir = () => {
    const dir = makeTempDir('config');
    dirs.push(dir.remove);
    return dir.path;
  };
  afterEach(() => dirs.splice(0).forEach((remove) => remove()));

  it('uses documented defaults, with embedded ClickHouse under the state folder', () => {
    const state = stateDir();
    const config = loadConfig({ PICCHA_STATE_DIR: state, MONGO_URL: 'mongodb://127.0.0.1:40002/', KAFKA_BROKERS: '127.0.0.1:40001' });
    expect(config).toMatchObject({
      stateDir: state,
      logLevel: 'warn',
      mongo: { url: 'mongodb://127.0.0.1:40002/', database: 'piccha_db' },
      kafka: { brokers: ['127.0.0.1:40001'], clientId: 'piccha' },
      clickhouse: { mode: 'embedded', dataPath: join(state, 'clickhouse') },
    });
  });

  it('never falls back to default ports: reading an unconfigured Kafka or MongoDB says how to configure it', () => {
    const state = stateDir();
    writeFileSync(join(state, 'services.env'), 'MONGO_URL=mongodb://127.0.0.1:40002/\n');
    const config = loadConfig({ PICCHA_STATE_DIR: state });
    expect(config.mongo.url).toBe('mongodb://127.0.0.1:40002/');
    expect(config.kafka.clientId).toBe('piccha');
    expect(() => config.kafka.brokers).toThrow(new ConfigError('no Kafka broker is configured: run `piccha services up` or set KAFKA_BROKERS'));
    const bare = loadConfig({ PICCHA_STATE_DIR: stateDir() });
    expect(() => ({ ...bare.mongo })).toThrow(new ConfigError('no MongoDB is configured: run `piccha services up` or set MONGO_URL'));
    expect(bare.clickhouse.mode).toBe('embedded');
  });

  it('reads services.env for variables the environment leaves unset, and lets the environment win', () => {
    const state = stateDir();
    writeFileSync(join(state, 'services.env'), '# written by services up\nKAFKA_BROKERS=127.0.0.1:40001\nMONGO_URL=mongodb://127.0.0.1:40002/\n');
    const config = loadConfig({ PICCHA_STATE_DIR: state, MONGO_URL: 'mongodb://db.internal:27017/' });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:40001']);
    expect(config.mongo.url).toBe('mongodb://db.internal:27017/');
  });

  it('switches to the ClickHouse server when CLICKHOUSE_URL is set', () => {
    const config = loadConfig({ PICCHA_STATE_DIR: stateDir(), CLICKHOUSE_URL: 'http://127.0.0.1:8123', CLICKHOUSE_PASSWORD: 'pw', CLICKHOUSE_DATABASE: 'piccha' });
    expect(config.clickhouse).toEqual({ mode: 'server', url: 'http://127.0.0.1:8123', user: 'default', password: 'pw', database: 'piccha' });
  });

  it('splits a broker list and trims it', () => {
    const config = loadConfig({ PICCHA_STATE_DIR: stateDir(), KAFKA_BROKERS: 'a.local:9092, b.local:9093' });
    expect(config.kafka.brokers).toEqual(['a.local:9092', 'b.local:9093']);
  });

  it('names every invalid variable in one error', () => {
    const env = {
      PICCHA_STATE_DIR: stateDir(),
      MONGO_URL: 'postgres://nope',
      KAFKA_BROKERS: 'no-port',
      CLICKHOUSE_URL: 'ftp://x',
      PICCHA_LOG_LEVEL: 'loud',
      MONGO_DB: 'bad name',
    };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    const message = (() => {
      try {
        loadConfig(env);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of ['MONGO_URL', 'KAFKA_BROKERS', 'CLICKHOUSE_URL', 'PICCHA_LOG_LEVEL', 'MONGO_DB']) expect(message).toContain(name);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('never echoes values, so a secret in a malformed variable stays secret', () => {
    const secret = 'mongodb://admin:hunter2-very-secret@';
    let message = '';
    try {
      loadConfig({ PICCHA_STATE_DIR: stateDir(), MONGO_URL: `${secret} with spaces`, CLICKHOUSE_URL: 'http://user:s3cr3t-pass@[bad' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('MONGO_URL');
    expect(message).toContain('CLICKHOUSE_URL');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('s3cr3t');
  });

  it('refuses a MongoDB URL whose password holds an unencoded @ instead of guessing where the host starts', () => {
    const parse = (url: string) => () => loadConfig({ PICCHA_STATE_DIR: stateDir(), MONGO_URL: url });
    expect(parse('mongodb://alice:pa@ss99@127.0.0.1:27017/')).toThrow(new ConfigError('invalid configuration: MONGO_URL holds an unencoded @ in its user name or password: write it as %40'));
    expect(parse('mongodb://alice:pa@ss99@127.0.0.1:27017/')).not.toThrow(/ss99/);
    // Encoded, or an @ past the hosts (an option's value), is fine.
    for (const url of ['mongodb://alice:pa%40ss99@127.0.0.1:27017/', 'mongodb://127.0.0.1:27017/db?appName=a@b', 'mongodb+srv://u:p@cluster.example/?authSource=x']) expect(loadConfig({ PICCHA_STATE_DIR: stateDir(), MONGO_URL: url }).mongo.url).toBe(url);
  });
});
