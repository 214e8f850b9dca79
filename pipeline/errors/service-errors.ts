import { UserError } from './user-error.js';

/** Where the pipeline's services are, as messages may name them (no credentials). */
export interface ServiceAddresses {
  readonly mongo?: string;
  readonly kafka?: readonly string[];
}

/** The driver's errors for a server it cannot reach or lost the connection to (not one that answered with an error). */
export function isMongoConnectionError(error: unknown): boolean {
  return error instanceof Error && /^Mongo(Network|NetworkTimeout|ServerSelection|TopologyClosed|NotConnected|PoolCleared)Error$/.test(error.name);
}

/**
 * kafkajs's errors for a broker it cannot reach, also when wrapped once its own retries ran out;
 * a coordinator it cannot find (a transaction's, a group's) is a broker gone or still loading.
 */
const KAFKA_CONNECTION_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSGroupCoordinatorNotFound']);
/**
 * A coordinator moved, loading or not there yet (codes 16, 14, 15, in kafkajs's names), as a
 * broker that restarted answers for a while: a transaction's commit gets them, and kafkajs 2
 * retries them only under other names than its own.
 */
const KAFKA_COORDINATOR_CHANGES = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE']);
/** Whether the error, or one it wraps (kafkajs's `originalError`, or `cause`; five deep at most), satisfies `test`. */
export function anyInChain(error: unknown, test: (error: Error) => boolean): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (test(current)) return true;
    const wrapped = current as Error & { originalError?: unknown };
    current = wrapped.originalError ?? wrapped.cause;
  }
  return false;
}

/** The broker's error type of a kafkajs protocol error (`NOT_COORDINATOR_FOR_GROUP`…), else undefined. */
export const kafkaProtocolType = (error: Error): string | undefined => (error.name === 'KafkaJSProtocolError' ? (error as Error & { type?: string }).type : undefined);

export function isKafkaConnectionError(error: unknown): boolean {
  return anyInChain(error, (current) => KAFKA_CONNECTION_ERRORS.has(current.name) || KAFKA_COORDINATOR_CHANGES.has(kafkaProtocolType(current) ?? ''));
}

/**
 * A failure of a service the command depends on, as one line naming it; undefined for any
 * other error. A service lost mid-run reads like one unreachable at the start.
 */
export function serviceFailure(error: unknown, where: ServiceAddresses): UserError | undefined {
  if (!(error instanceof Error) || error instanceof UserError) return undefined;
  const first = (error.message.split('\n')[0] ?? '').trim();
  if (where.mongo !== undefined && isMongoConnectionError(error)) return new UserError(`lost MongoDB at ${where.mongo} (MONGO_URL): ${first}`, { cause: error });
  if (where.kafka !== undefined && error.name.startsWith('KafkaJS')) return new UserError(`lost Kafka at ${where.kafka.join(',')} (KAFKA_BROKERS): ${first}`, { cause: error });
  return undefined;
}
