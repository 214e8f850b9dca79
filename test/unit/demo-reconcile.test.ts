import { describe, expect, it } from 'vitest';
import { reconcile, roubles, stillArriving } from '../../pipeline/demo/reconcile.js';
import type { EntityStages, StageCounts } from '../../pipeline/demo/stage-counts.js';

/** A consistent entity: 10 documents, 2 of them re-sent once, 1 dead letter, 2 duplicates, 1 rejected by a rule. */
const entity = (): EntityStages => ({ mongo: 10, kafka: 11, deadLettered: 1, raw: 11, refusedByIngest: 0, documents: 10, kept: 7, duplicates: 2, rejected: 1, mart: 7, rejectedRows: 1 });

function counts(change: Partial<EntityStages> = {}): StageCounts {
  return {
    entities: { stores: entity(), products: entity(), customers: entity(), purchases: { ...entity(), ...change } },
    deadLetterTopic: { kafka: 4, raw: 4 },
    otherTopicsMessages: 0,
    revenueKopecks: { purchases: 12_345, items: 12_345 },
    duplicatePercent: { purchases: 20 },
  };
}

const failing = (c: StageCounts) => reconcile(c).filter((identity) => !identity.holds).map((identity) => identity.name);

describe('demo reconciliation', () => {
  it('holds for consistent counts: versions and dead letters make Kafka exceed the documents', () => {
    expect(failing(counts())).toEqual([]);
    expect(reconcile(counts())).toHaveLength(4 * 6 + 2);
  });

  it('names the identity a lost or extra row breaks', () => {
    expect(failing(counts({ mart: 6 }))).toEqual(['purchases mart']);
    expect(failing(counts({ raw: 10 }))).toEqual(['purchases ingest']);
    expect(failing(counts({ mongo: 11 }))).toEqual(['purchases judged']);
    expect(failing(counts({ kept: 6 }))).toEqual(['purchases status']);
    expect(failing(counts({ rejectedRows: 0 }))).toEqual(['purchases rejected']);
    // Fewer messages than documents: one document never reached Kafka, and so was never judged.
    expect(failing(counts({ kafka: 8, raw: 8 }))).toEqual(['purchases kafka']);
    const detail = reconcile(counts({ mart: 6 })).find((identity) => !identity.holds)?.detail;
    expect(detail).toBe('purchases: MART rows 6 = documents 10 − duplicates 2 − rejected 1');
  });

  it('checks revenue to the kopeck and the dead-letter topic', () => {
    expect(failing({ ...counts(), revenueKopecks: { purchases: 12_345, items: 12_344 } })).toEqual(['revenue']);
    expect(failing({ ...counts(), deadLetterTopic: { kafka: 5, raw: 4 } })).toEqual(['dead letters']);
  });

  it('knows when data is still on its way', () => {
    expect(stillArriving(counts())).toBe(false);
    expect(stillArriving(counts({ raw: 9 }))).toBe(true);
    expect(stillArriving(counts({ kafka: 8 }))).toBe(true);
  });

  it('writes roubles with kopecks', () => {
    expect(roubles(123_456_789)).toMatch(/^1\s234\s567,89 ₽$/);
    expect(roubles(5)).toBe('0,05 ₽');
  });
});
