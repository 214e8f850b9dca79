import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../log/logger.js';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

/**
 * kafkajs logs at ERROR what it then retries (a coordinator still loading, a broker not up
 * yet); what it gives up on is thrown to the caller, who reports it. Two levels down keeps a
 * run quiet by default and shows the retries with PICCHA_LOG_LEVEL=info.
 */
const LEVEL_NAMES: Record<number, 'info' | 'debug' | 'trace'> = {
  [logLevel.ERROR]: 'info',
  [logLevel.WARN]: 'debug',
  [logLevel.INFO]: 'trace',
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
