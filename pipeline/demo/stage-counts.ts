import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { ENTITIES, type Entity } from '../entities/entities.js';
import { readToEnd } from '../kafka/read-to-end.js';
import type { TopicNames } from '../produce/topics.js';

/** One entity's count at every stage of the pipeline, for one stack (a MongoDB database and its topics). */
export interface EntityStages {
  /** Documents in the MongoDB collection. */
  readonly mongo: number;
  /** Messages on the entity's topic, as a consumer reads them (every version, re-sends after a producer restart included). */
  readonly kafka: number;
  /** The producer's dead letters of the entity, as RAW received them from the dead-letter topic. */
  readonly deadLettered: number;
  /** RAW rows of the entity's topic. */
  readonly raw: number;
  /** Messages of the entity's topic the ingest refused (piccha_raw.rejected). */
  readonly refusedByIngest: number;
  /** Source documents judged in piccha_mart.document_status. */
  readonly documents: number;
  readonly kept: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Rows of the entity's MART table. */
  readonly mart: number;
  /** Rows of piccha_mart.rejected_rows for the entity. */
  readonly rejectedRows: number;
}

export interface StageCounts {
  readonly entities: Readonly<Record<Entity, EntityStages>>;
  /** Messages on the dead-letter topic, and how many of them RAW holds. */
  readonly deadLetterTopic: { readonly kafka: number; readonly raw: number };
  /** MART revenue in kopecks: the purchases' totals and their items' totals. */
  readonly revenueKopecks: { readonly purchases: number; readonly items: number };
  /** RAW messages of topics outside this stack: documents are judged across every topic, so they can change this stack's figures. */
  readonly otherTopicsMessages: number;
  /** The newest duplicate_percentage of each entity in duplicates_log (the alert's input); absent before the first refresh. */
  readonly duplicatePercent: Readonly<Partial<Record<Entity, number>>>;
}

export interface StackHandles {
  readonly db: Db;
  readonly kafka: Kafka;
  readonly clickhouse: ClickHouse;
  readonly topics: TopicNames;
}

type Counted = Record<string, string | number>;

/** `entity → column → value` from rows that carry an `entity` column. */
function byEntity(rows: readonly Counted[]): Map<string, Counted> {
  return new Map(rows.map((row) => [String(row.entity), row]));
}

const num = (row: Counted | undefined, column: string) => Number(row?.[column] ?? 0);

/**
 * Counts every stage for the stack's topics. ClickHouse may hold other stacks' data (other
 * topic prefixes): every ClickHouse count is narrowed to this stack's topics, except
 * duplicates_log, which has one row per entity for the whole ClickHouse.
 */
/**
 * Messages on the stack's topics, read, not taken from offsets: a transaction's commit marker
 * takes an offset too. Reading costs about 2 s per 100,000 messages, so it is done once all the
 * producers are done, not at every look at the other stages.
 */
export function countTopicMessages({ kafka, topics }: Pick<StackHandles, 'kafka' | 'topics'>): Promise<ReadonlyMap<string, number>> {
  return readToEnd(kafka, [...Object.values(topics.entities), topics.deadLetter], { groupPrefix: 'piccha-demo-count' });
}

export async function measureStages({ db, clickhouse, topics }: StackHandles, onTopics: ReadonlyMap<string, number>): Promise<StageCounts> {
  const entityTopics = ENTITIES.map((entity) => topics.entities[entity]);
  const params: Record<string, unknown> = { topics: entityTopics, dlq: topics.deadLetter, ...Object.fromEntries(ENTITIES.map((entity) => [`topic_${entity}`, topics.entities[entity]])) };
  const ours = '(has({topics:Array(String)}, kafka_topic) OR kafka_topic = {dlq:String})';
  // Entity names are the fixed list, never input: they may name tables.
  const rawParts = ENTITIES.map((entity) => `SELECT '${entity}' AS entity, count() AS rows FROM piccha_raw.${entity} WHERE kafka_topic = {topic_${entity}:String}`);
  const martParts = ENTITIES.map((entity) => `SELECT '${entity}' AS entity, count() AS rows FROM piccha_mart.${entity} WHERE kafka_topic = {topic_${entity}:String}`);
  const otherParts = ENTITIES.map((entity) => `SELECT count() AS rows FROM piccha_raw.${entity} WHERE kafka_topic != {topic_${entity}:String}`);
  const [raw, mart, refused, status, rejectedRows, revenue, duplicates, others] = await Promise.all([
    clickhouse.query<Counted>(rawParts.join(' UNION ALL '), params),
    clickhouse.query<Counted>(martParts.join(' UNION ALL '), params),
    clickhouse.query<Counted>(
      `SELECT entity, countIf(kafka_topic = {dlq:String}) AS dead_lettered, countIf(kafka_topic != {dlq:String}) AS by_ingest
       FROM (SELECT if(kafka_topic = {dlq:String}, entity, arrayElement(['stores', 'products', 'customers', 'purchases'], indexOf({topics:Array(String)}, kafka_topic))) AS entity, kafka_topic
             FROM piccha_raw.rejected WHERE ${ours})
       GROUP BY entity`,
      params,
    ),
    clickhouse.query<Counted>(
      `SELECT entity, count() AS documents, countIf(status = 'kept') AS kept, countIf(status = 'duplicate') AS duplicates, countIf(status = 'rejected') AS rejected
       FROM piccha_mart.document_status WHERE ${ours} GROUP BY entity`,
      params,
    ),
    clickhouse.query<Counted>(`SELECT entity, count() AS rows FROM piccha_mart.rejected_rows WHERE ${ours} GROUP BY entity`, params),
    clickhouse.query<Counted>(
      `SELECT (SELECT toInt64(round(sum(total_amount) * 100)) FROM piccha_mart.purchases WHERE kafka_topic = {purchases:String}) AS purchases,
              (SELECT toInt64(round(sum(total_price) * 100)) FROM piccha_mart.purchase_items
               WHERE source_id IN (SELECT source_id FROM piccha_mart.purchases WHERE kafka_topic = {purchases:String})) AS items`,
      { purchases: topics.entities.purchases },
    ),
    clickhouse.query<Counted>('SELECT toString(entity) AS entity, argMax(duplicate_percentage, timestamp) AS percent FROM piccha_mart.duplicates_log GROUP BY entity'),
    clickhouse.query<Counted>(`SELECT sum(rows) AS rows FROM (${otherParts.join(' UNION ALL ')})`, params),
  ]);
  const mongo = await Promise.all(ENTITIES.map((entity) => db.collection(entity).countDocuments()));
  const rawOf = byEntity(raw);
  const martOf = byEntity(mart);
  const refusedOf = byEntity(refused);
  const statusOf = byEntity(status);
  const rejectedOf = byEntity(rejectedRows);
  const percentOf = byEntity(duplicates);
  const entities = Object.fromEntries(
    ENTITIES.map((entity, index): [Entity, EntityStages] => {
      const judged = statusOf.get(entity);
      return [
        entity,
        {
          mongo: mongo[index] ?? 0,
          kafka: onTopics.get(topics.entities[entity]) ?? 0,
          deadLettered: num(refusedOf.get(entity), 'dead_lettered'),
          raw: num(rawOf.get(entity), 'rows'),
          refusedByIngest: num(refusedOf.get(entity), 'by_ingest'),
          documents: num(judged, 'documents'),
          kept: num(judged, 'kept'),
          duplicates: num(judged, 'duplicates'),
          rejected: num(judged, 'rejected'),
          mart: num(martOf.get(entity), 'rows'),
          rejectedRows: num(rejectedOf.get(entity), 'rows'),
        },
      ];
    }),
  ) as Record<Entity, EntityStages>;
  const deadLetterRaw = [...refusedOf.values()].reduce((sum, row) => sum + num(row, 'dead_lettered'), 0);
  const duplicatePercent: Partial<Record<Entity, number>> = {};
  for (const entity of ENTITIES) {
    const row = percentOf.get(entity);
    if (row !== undefined) duplicatePercent[entity] = Number(row.percent);
  }
  return {
    entities,
    deadLetterTopic: { kafka: onTopics.get(topics.deadLetter) ?? 0, raw: deadLetterRaw },
    otherTopicsMessages: num(others[0], 'rows'),
    revenueKopecks: { purchases: num(revenue[0], 'purchases'), items: num(revenue[0], 'items') },
    duplicatePercent,
  };
}
