import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isAfter, type CheckpointState } from '../../pipeline/produce/checkpoints.js';

const at = (segment: number, position: number, done = false): CheckpointState => ({ segment, position, done, last_id: new ObjectId(), last_batch: null, last_index: -1 });

describe('producer checkpoints only move forward', () => {
  it.each([
    [null, at(1, 0), true],
    [at(1, 200), at(1, 400), true],
    [at(1, 400), at(1, 400, true), true],
    [at(1, 400, true), at(2, 200), true],
    [at(1, 400), at(1, 200), false],
    [at(1, 400), at(1, 400), false],
    [at(1, 400, true), at(1, 400), false],
    [at(2, 10), at(1, 999, true), false],
  ])('from %j to %j: %s', (previous, next, allowed) => {
    expect(isAfter(next, previous)).toBe(allowed);
  });
});
