import type { ClickHouse } from '../clickhouse/clickhouse.js';

const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`;

/**
 * The highest Kafka offset each RAW table already holds per topic-partition: RAW itself is the
 * ledger of what was written. A message redelivered after a crash or a rebalance has an offset
 * at or below it and is not written again. Read once per partition after every (re)assignment,
 * then kept up to date by this process's own inserts: while the group assigns a partition to
 * this member alone, nobody else writes it.
 */
export class StoredOffsets {
  private readonly known = new Map<string, Map<string, number>>();

  constructor(private readonly clickhouse: ClickHouse) {}

  /** Forget everything: called on each assignment, since another member may have written since. */
  reset(): void {
    this.known.clear();
  }

  /** Highest stored offset of the table for each of the partitions, -1 where it holds none. */
  async highest(table: string, partitions: readonly { topic: string; partition: number }[]): Promise<Map<string, number>> {
    let byPartition = this.known.get(table);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.known.set(table, byPartition);
    }
    const missing = partitions.filter(({ topic, partition }) => !byPartition.has(partitionKey(topic, partition)));
    if (missing.length > 0) {
      const topics = [...new Set(missing.map(({ topic }) => topic))];
      const rows = await this.clickhouse.query<{ kafka_topic: string; kafka_partition: number; highest: string }>(
        `SELECT kafka_topic, kafka_partition, max(kafka_offset) AS highest FROM ${table}
         WHERE kafka_topic IN {topics:Array(String)} GROUP BY kafka_topic, kafka_partition`,
        { topics },
      );
      const stored = new Map(rows.map((row) => [partitionKey(row.kafka_topic, Number(row.kafka_partition)), Number(row.highest)]));
      for (const { topic, partition } of missing) byPartition.set(partitionKey(topic, partition), stored.get(partitionKey(topic, partition)) ?? -1);
    }
    return byPartition;
  }

  /** Records what an acknowledged insert wrote. */
  written(table: string, topic: string, partition: number, offset: number): void {
    const byPartition = this.known.get(table);
    const key = partitionKey(topic, partition);
    if (byPartition !== undefined && (byPartition.get(key) ?? -1) < offset) byPartition.set(key, offset);
  }
}

export { partitionKey };
