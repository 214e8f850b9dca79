import { Command } from 'commander';
import { openClickHouse } from '../../clickhouse/connect.js';
import { UserError } from '../../errors/user-error.js';
import { DEFAULT_CONSUMERS, DEFAULT_MAX_BATCH_ROWS, ingest, type IngestProgress } from '../../ingest/ingest.js';
import { assertRawTables } from '../../ingest/raw-check.js';
import { FAULT_POINTS, type Fault, type FaultPoint } from '../../ingest/raw-writer.js';
import { createKafka } from '../../kafka/client.js';
import { topicNames } from '../../produce/topics.js';
import { wholeNumber } from '../arguments.js';
import { commandContext } from '../context.js';
import { formatRows } from '../output.js';

interface IngestFlags {
  follow?: boolean;
  group: string;
  maxBatchRows: number;
  maxBatchMs: number;
  consumers: number;
  deadlineMs: number;
}

/** The most rows one flush may hold: one insert of up to a million rows is still a single block. */
const MAX_BATCH_ROWS = 200_000;
const MAX_CONSUMERS = 32;

function parseFault(value: string | undefined): Fault | undefined {
  if (value === undefined) return undefined;
  const [point, flush] = value.split(':');
  if (!FAULT_POINTS.includes(point as FaultPoint)) return undefined;
  return { point: point as FaultPoint, flush: Number(flush) };
}

/** Per topic: messages, rejected, lag, rate; on a terminal one line rewritten, otherwise a line every few seconds. */
function progressReporter(stream: NodeJS.WriteStream = process.stderr, everyMs = 5000): { report(progress: IngestProgress): void; stop(): void } {
  const started = Date.now();
  let last = started;
  let shownOnTerminal = false;
  return {
    report({ topics }) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const parts = [...topics].map(([topic, counts]) => `${topic} ${counts.messages} (${Math.round(counts.messages / seconds)}/s, lag ${counts.lag}${counts.rejected > 0 ? `, ${counts.rejected} rejected` : ''})`);
      const line = `ingest: ${parts.join(', ')}`;
      if (stream.isTTY) {
        stream.write(`\r${line.slice(0, (stream.columns || 200) - 1)}\u001b[K`);
        shownOnTerminal = true;
      } else if (Date.now() - last >= everyMs) {
        last = Date.now();
        stream.write(`${line}\n`);
      }
    },
    stop() {
      if (shownOnTerminal) stream.write('\n');
    },
  };
}

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('consume the entity topics and the dead-letter topic into ClickHouse RAW (piccha_raw), batched, each message exactly once')
    .option('--follow', 'keep consuming until SIGTERM or SIGINT, then flush, commit and exit 0')
    .option('--group <name>', 'the Kafka consumer group; processes in one group share the partitions', 'piccha-ingest')
    .option('--max-batch-rows <n>', `a flush is due once this many messages wait (1–${MAX_BATCH_ROWS})`, wholeNumber('--max-batch-rows', 1, MAX_BATCH_ROWS), DEFAULT_MAX_BATCH_ROWS)
    .option('--max-batch-ms <n>', 'the longest a message waits for its batch to fill', wholeNumber('--max-batch-ms', 1), 1000)
    .option('--consumers <n>', `group members in this process (1–${MAX_CONSUMERS}): each fetches from Kafka while the others' inserts run`, wholeNumber('--consumers', 1, MAX_CONSUMERS), DEFAULT_CONSUMERS)
    .option('--deadline-ms <n>', 'give up (exit non-zero) once Kafka or ClickHouse has been unreachable this long', wholeNumber('--deadline-ms', 1), 120_000)
    .action(async (flags: IngestFlags) => {
      const { config, logger } = commandContext();
      const clickhouse = openClickHouse(config.clickhouse);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const progress = progressReporter();
      try {
        await assertRawTables(clickhouse).catch((error: unknown) => {
          if (error instanceof UserError) throw error;
          throw new UserError(`cannot reach ClickHouse (${clickhouse.description}): ${(error as Error).message}`, { cause: error });
        });
        const topics = topicNames(config.kafka.topicPrefix);
        const summary = await ingest(
          // Each request gives up quickly; the ingest's own deadline decides when Kafka is gone.
          createKafka(config.kafka, logger, { retry: { initialRetryTime: 300, maxRetryTime: 3000, retries: 3 } }),
          clickhouse,
          {
            topics,
            partitions: config.kafka.partitions,
            groupId: flags.group,
            follow: flags.follow === true,
            maxBatchRows: flags.maxBatchRows,
            maxBatchMs: flags.maxBatchMs,
            consumers: flags.consumers,
            deadlineMs: flags.deadlineMs,
            signal: controller.signal,
            fault: parseFault(config.ingestFault),
            onProgress: (state) => progress.report(state),
          },
          logger,
        );
        progress.stop();
        process.stdout.write(formatRows(Object.entries(summary.topics).map(([topic, counts]) => ({ topic, messages: counts.messages, rejected: counts.rejected, already_in_raw: counts.skipped })), 'table'));
        const rejected = Object.values(summary.topics).reduce((sum, counts) => sum + counts.rejected, 0);
        const kinds = Object.entries(summary.rejectedByKind).map(([kind, count]) => `${kind} ${count}`).join(', ');
        process.stdout.write(`${rejected} rejected into piccha_raw.rejected${rejected > 0 ? ` (${kinds})` : ''}\n`);
      } catch (error) {
        // A Kafka client still reconnecting in the background must not keep a failed ingest alive.
        setTimeout(() => process.exit(1), 2000).unref();
        throw error;
      } finally {
        progress.stop();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await clickhouse.close();
      }
    });
}
