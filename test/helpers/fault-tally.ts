import type { TestContext } from 'vitest';

/** The classes of fault the fault suite injects, as its summary names them. */
export const FAULT_CLASSES = {
  producerKilled: 'SIGKILL of produce',
  ingestKilled: 'SIGKILL of ingest',
  bothKilled: 'SIGKILL of produce and ingest at once',
  mongoRestarted: 'MongoDB-protocol server restarted',
  kafkaRestarted: 'Kafka broker restarted',
  clickhouseRestarted: 'ClickHouse service restarted',
  dependencyGone: 'dependency down past the deadline',
  malformedInput: 'malformed input',
  piiScan: 'PII scan (topics, tables, logs)',
} as const;

export type FaultClass = (typeof FAULT_CLASSES)[keyof typeof FAULT_CLASSES];

declare module 'vitest' {
  interface TaskMeta {
    /** Faults this test injected, by class: tried; the test passing means survived. */
    faults?: Partial<Record<FaultClass, number>>;
  }
}

/** Counts one injected fault (or `count` of them) against the running test. */
export function recordFault(context: TestContext, fault: FaultClass, count = 1): void {
  const faults = (context.task.meta.faults ??= {});
  faults[fault] = (faults[fault] ?? 0) + count;
}
