import type { Kafka, Producer, ProducerBatch, ProducerConfig, TopicMessages } from 'kafkajs';
import { anyInChain, kafkaProtocolType } from '../errors/service-errors.js';

/**
 * Kafka refused the sender's epoch: a newer sender with the same transactional id has started,
 * or the broker aborted the transaction because it ran past its timeout. Nothing of the
 * transaction is ever read.
 */
export class ProducerFenced extends Error {}

/**
 * The broker's answers to an old epoch: INVALID_PRODUCER_EPOCH (47), and PRODUCER_FENCED (90),
 * which kafkajs 2 does not know (it reports "Unknown error code 90"; brokers answer its old
 * request versions with 47 instead, but a newer one need not).
 */
export function isFencing(error: unknown): boolean {
  return anyInChain(error, (current) => kafkaProtocolType(current) === 'INVALID_PRODUCER_EPOCH' || (kafkaProtocolType(current) !== undefined && current.message === 'Unknown error code 90'));
}

export interface FencedSenderOptions {
  /** The same for every producer of the topic, on every host: the broker fences by it. */
  readonly transactionalId: string;
  readonly config: ProducerConfig;
  readonly sendSettings: Pick<ProducerBatch, 'acks' | 'compression'>;
}

/**
 * Sends batches to Kafka, each as one transaction under a transactional id that every producer
 * of the same topic shares. Starting a sender fences all earlier ones: the broker aborts their
 * open transaction and refuses whatever they send or commit after that. So a producer that lost
 * its lease while a send was under way (a long broker retry, a process paused) can never land
 * an older version after its successor's newer one. Consumers read committed messages only
 * (kafkajs's default), so an aborted batch is never seen; its offsets and each commit's marker
 * are gaps in the partition's offsets.
 */
export class FencedSender {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: FencedSenderOptions,
  ) {}

  /** Connects (again, after a failed send) and fences every earlier sender of the id. */
  async start(): Promise<void> {
    if (this.producer !== undefined) return;
    const producer = this.kafka.producer({ ...this.options.config, transactionalId: this.options.transactionalId });
    try {
      await producer.connect();
      // Beginning a transaction registers this sender's epoch with the coordinator, which aborts
      // an earlier sender's open transaction; ending it empty costs no request.
      const transaction = await producer.transaction();
      await transaction.abort();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw this.named(error);
    }
    this.producer = producer;
  }

  /** Sends the messages as one transaction and commits it: all of them are read, or none. */
  async send(topicMessages: TopicMessages[]): Promise<void> {
    await this.start();
    const producer = this.producer as Producer;
    try {
      const transaction = await producer.transaction();
      try {
        await transaction.sendBatch({ topicMessages, ...this.options.sendSettings });
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      // kafkajs cannot begin another transaction on a producer whose commit failed: the next
      // send starts a new one, which also aborts whatever this one left open.
      this.producer = undefined;
      await producer.disconnect().catch(() => undefined);
      throw this.named(error);
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect();
  }

  private named(error: unknown): unknown {
    return isFencing(error) ? new ProducerFenced(`Kafka fenced the transactional producer ${this.options.transactionalId} (another one started, or the broker expired its transaction)`, { cause: error }) : error;
  }
}
