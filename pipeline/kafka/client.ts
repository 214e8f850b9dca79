import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../log/logger.js';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

/**
 * kafkajs logs at ERROR what it then retries (a coordinator still loading, a broker not up
 * yet); what it gives up on is thrown to the caller. One level down keeps a run quiet.
 */
const LEVEL_NAMES: Record<number, 'warn' | 'info' | 'debug' | 'trace'> = {
  [logLevel.ERROR]: 'warn',
  [logLevel.WARN]: 'info',
  [logLevel.INFO]: 'debug',
  [logLevel.DEBUG]: 'trace',
};

/** A kafkajs client whose own logging goes through our logger instead of the console. */
export function createKafka(settings: KafkaSettings, logger: Logger, overrides: Partial<KafkaConfig> = {}): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, namespace, log }: LogEntry) => {
        const { message, ...fields } = log;
        kafkaLogger[LEVEL_NAMES[level] ?? 'debug']({ namespace, ...fields }, message);
      },
    ...overrides,
  });
}
