import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isFencing } from '../../pipeline/produce/fenced-sender.js';

const { KafkaJSProtocolError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError } = kafkajs;

/** A protocol error as kafkajs builds it from a broker's error code (src/protocol/error.js). */
const protocolError = (type: string, code: number, message: string) => new KafkaJSProtocolError({ type, code, retriable: false, message } as unknown as Error);

describe('isFencing: what counts as the broker fencing a transactional producer', () => {
  it('recognises INVALID_PRODUCER_EPOCH, and PRODUCER_FENCED as kafkajs 2 reports it (an unknown code 90), also once wrapped', () => {
    const epoch = protocolError('INVALID_PRODUCER_EPOCH', 47, 'Producer attempted an operation with an old epoch');
    const fenced = protocolError('KAFKAJS_UNKNOWN_ERROR_CODE', -99, 'Unknown error code 90');
    expect(isFencing(epoch)).toBe(true);
    expect(isFencing(fenced)).toBe(true);
    expect(isFencing(new KafkaJSNumberOfRetriesExceeded(epoch, { retryCount: 10, retryTime: 1000 }))).toBe(true);
    expect(isFencing(new Error('sending failed', { cause: fenced }))).toBe(true);
  });

  it('does not take other failures for fencing', () => {
    expect(isFencing(protocolError('KAFKAJS_UNKNOWN_ERROR_CODE', -99, 'Unknown error code 91'))).toBe(false);
    expect(isFencing(protocolError('CONCURRENT_TRANSACTIONS', 51, 'concurrent'))).toBe(false);
    expect(isFencing(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(false);
    expect(isFencing(new Error('Producer attempted an operation with an old epoch'))).toBe(false);
    expect(isFencing('INVALID_PRODUCER_EPOCH')).toBe(false);
  });
});
