import type { Admin } from 'kafkajs';
import { ENTITIES, type Entity } from '../entities/entities.js';

export interface TopicNames {
  readonly entities: Readonly<Record<Entity, string>>;
  /** Documents that failed validation, with the reason. */
  readonly deadLetter: string;
}

/** piccha.stores, piccha.products, piccha.customers, piccha.purchases, and piccha.dlq. */
export function topicNames(prefix: string): TopicNames {
  return {
    entities: Object.fromEntries(ENTITIES.map((entity) => [entity, `${prefix}.${entity}`])) as Record<Entity, string>,
    deadLetter: `${prefix}.dlq`,
  };
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(admin: Admin, names: TopicNames, partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted = [...Object.values(names.entities), names.deadLetter].filter((topic) => !existing.has(topic));
  if (wanted.length === 0) return;
  await admin.createTopics({
    topics: wanted.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
    waitForLeaders: true,
  });
}
