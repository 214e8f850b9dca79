import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isKafkaConnectionError } from '../../pipeline/errors/service-errors.js';

const { KafkaJSProtocolError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound } = kafkajs;

/** A protocol error as kafkajs builds it from a broker's error code (src/protocol/error.js). */
const protocolError = (type: string, code: number) => new KafkaJSProtocolError({ type, code, retriable: true, message: type } as unknown as Error);

describe('isKafkaConnectionError: what a producer waits out as Kafka being unreachable', () => {
  it('a broker it cannot reach, and a coordinator that moved, is loading or cannot be found (a broker restarting), also wrapped', () => {
    expect(isKafkaConnectionError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(true);
    expect(isKafkaConnectionError(new (KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error)('Failed to find group coordinator'))).toBe(true);
    for (const [type, code] of [['NOT_COORDINATOR_FOR_GROUP', 16], ['GROUP_LOAD_IN_PROGRESS', 14], ['GROUP_COORDINATOR_NOT_AVAILABLE', 15]] as const) {
      expect(isKafkaConnectionError(protocolError(type, code)), type).toBe(true);
      expect(isKafkaConnectionError(new KafkaJSNumberOfRetriesExceeded(protocolError(type, code), { retryCount: 10, retryTime: 1000 })), type).toBe(true);
    }
  });

  it('not an answer that retrying cannot change', () => {
    expect(isKafkaConnectionError(protocolError('INVALID_PRODUCER_EPOCH', 47))).toBe(false);
    expect(isKafkaConnectionError(protocolError('TOPIC_AUTHORIZATION_FAILED', 29))).toBe(false);
    expect(isKafkaConnectionError(new Error('NOT_COORDINATOR_FOR_GROUP'))).toBe(false);
  });
});
