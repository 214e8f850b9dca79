import { Command } from 'commander';
import { ENTITIES, isEntity, type Entity } from '../../entities/entities.js';
import { UserError } from '../../errors/user-error.js';
import { createKafka } from '../../kafka/client.js';
import { connectMongo, hostsOf } from '../../mongo/client.js';
import { serviceFailure } from '../../errors/service-errors.js';
import { keyringFrom } from '../../pii/keys.js';
import { DEFAULT_DEADLINE_MS, produce } from '../../produce/producer.js';
import { topicNames } from '../../produce/topics.js';
import { createCountsProgress } from '../../progress/progress.js';
import { refuseWithout, wholeNumber } from '../arguments.js';
import { commandContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { formatRows } from '../output.js';

interface ProduceFlags {
  follow?: boolean;
  fromScratch?: boolean;
  entities: string[];
  batchSize: number;
  pollMs: number;
  wait?: boolean;
  deadlineMs: number;
}

export function produceCommand(): Command {
  return new Command('produce')
    .description('stream stores, products, customers and purchases from MongoDB to Kafka, PII protected: every version written since the last run (from the outbox), then, with --follow, each new one as it is written')
    .option('--follow', 'keep polling for new and changed documents until interrupted')
    .option('--from-scratch', 'forget the checkpoints and send everything again')
    .option('--entities <names...>', `only these collections (${ENTITIES.join(', ')})`, [...ENTITIES])
    .option('--batch-size <n>', 'messages per acknowledged send (1–10000)', wholeNumber('--batch-size', 1, 10_000), 1000)
    .option('--poll-ms <n>', 'with --follow: pause between passes (10–60000)', wholeNumber('--poll-ms', 10, 60_000), 500)
    .option('--deadline-ms <n>', 'give up (exit non-zero) once MongoDB or Kafka has been unreachable this long mid-run', wholeNumber('--deadline-ms', 1), DEFAULT_DEADLINE_MS)
    .option('--wait', 'when another producer holds these topics, wait for it instead of refusing')
    .action(async (flags: ProduceFlags, command: Command) => {
      refuseWithout(command, '--follow', ['--poll-ms']);
      const { config, logger } = commandContext();
      const unknown = flags.entities.filter((name) => !isEntity(name));
      if (unknown.length > 0) throw new UserError(`--entities: unknown ${unknown.join(', ')}; known: ${ENTITIES.join(', ')}`);
      const keyring = keyringFrom(config.pii);
      const { client, db } = await connectMongo(config.mongo);
      const interruption = interruptible('produce');
      const progress = createCountsProgress('produce', flags.entities);
      try {
        const summary = await produce(
          db,
          createKafka(config.kafka, logger),
          {
            entities: flags.entities as Entity[],
            topics: topicNames(config.kafka.topicPrefix),
            partitions: config.kafka.partitions,
            batchSize: flags.batchSize,
            follow: flags.follow === true,
            pollMs: flags.pollMs,
            wait: flags.wait === true,
            deadlineMs: flags.deadlineMs,
            fromScratch: flags.fromScratch === true,
            keyring,
            signal: interruption.signal,
            onSent: (entity, messages) => progress.increment(entity, messages),
            onWaiting: (holder) => logger.warn(`waiting for \`${holder.command}\` (pid ${holder.pid} on ${holder.host}) to finish`),
          },
          logger,
        );
        progress.stop();
        const topics = topicNames(config.kafka.topicPrefix);
        process.stdout.write(formatRows(Object.entries(summary).map(([entity, totals]) => ({ entity, topic: topics.entities[entity as Entity], sent: totals.sent, dead_lettered: totals.deadLettered })), 'table'));
      } catch (error) {
        progress.stop(false);
        // SIGINT or SIGTERM before the first send (while waiting for a lease, say): a clean stop with nothing sent.
        if (interruption.signal.aborted && (error as Error).name === 'AbortError') return;
        throw serviceFailure(error, { mongo: hostsOf(config.mongo.url), kafka: config.kafka.brokers }) ?? error;
      } finally {
        interruption.dispose();
        await client.close();
      }
    });
}
