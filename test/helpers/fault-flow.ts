import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import type { Manifest } from '../../pipeline/generate/manifest.js';
import { runGeneration } from '../../pipeline/generate/run.js';
import { readToEnd } from '../../pipeline/kafka/read-to-end.js';
import { mongoSink, type DocumentSink } from '../../pipeline/generate/sinks.js';
import { capturingSink, type Generated } from './mart-expectations.js';
import type { DefectEntry } from '../../pipeline/generate/manifest.js';
import { spawnCli, type CliProcess } from './cli.js';

/** The fault suite's size: purchases flowing through the pipeline, and how fast they are written. */
export function faultSuiteSize(): { purchases: number; perSecond: number } {
  const whole = (name: string, fallback: number) => {
    const value = process.env[name];
    if (value === undefined || value === '') return fallback;
    if (!/^[1-9]\d{0,8}$/.test(value)) throw new Error(`${name} must be a whole number, got ${JSON.stringify(value)}`);
    return Number(value);
  };
  // CI's size keeps the suite within minutes on two cores; PICCHA_FAULT_PURCHASES=100000 is the full size.
  return { purchases: whole('PICCHA_FAULT_PURCHASES', 3000), perSecond: whole('PICCHA_FAULT_RATE', 150) };
}

export interface FlowingGeneration {
  /** Every document written, as generated, and the generator's defect list: the ground truth. */
  readonly generated: Generated;
  readonly defects: DefectEntry[];
  /** Resolves once every document is in MongoDB (and its outbox). */
  readonly done: Promise<Manifest>;
  /** Throws the writer's error if it has failed: a wait on the flow then stops at once. */
  check(): void;
}

/**
 * Writes a generated data set into MongoDB through the real writer (documents and outbox) at a
 * steady rate of purchases, so that the jobs under test see purchases flowing, not a backlog.
 */
export function generateFlowing(db: Db, counts: { stores: number; products: number; customers: number; purchases: number }, options: { seed: number; perSecond: number; profile?: string }): FlowingGeneration {
  const profile = options.profile ?? 'heavy';
  const { sink, generated, defects } = capturingSink(mongoSink(db, 100));
  const started = Date.now();
  let purchases = 0;
  const paced: DocumentSink = {
    ...sink,
    async write(entity, document) {
      await sink.write(entity, document);
      if (entity !== 'purchases') return;
      purchases += 1;
      const due = started + (purchases * 1000) / options.perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
    },
  };
  // Dated a minute back: the future_date rule judges against the time the document was loaded.
  let failure: unknown;
  const done = runGeneration({ seed: options.seed, now: Date.now() - 60_000, days: 90, counts, profile, defects: DIRTY_PROFILES[profile] ?? { rates: {}, maxCopies: 1 } }, paced);
  done.catch((error: unknown) => (failure = error));
  return {
    generated,
    defects,
    done,
    check() {
      if (failure !== undefined) throw new Error('the writer failed', { cause: failure });
    },
  };
}

/**
 * How far a topic has grown: the sum of its partitions' high watermarks (0 before it exists). A
 * gauge of progress, not a count: each producer transaction's commit marker takes an offset too,
 * so it is never below the messages (`topicMessages` counts them).
 */
export async function topicOffsets(admin: Admin, topic: string): Promise<number> {
  if (!(await admin.listTopics()).includes(topic)) return 0;
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
  } catch {
    // Leaders not elected yet, just after the topic was created.
    return 0;
  }
}

/** The messages on a topic, counted by reading them. */
export async function topicMessages(kafka: Kafka, topic: string): Promise<number> {
  return (await readToEnd(kafka, [topic], { groupPrefix: 'test-count' })).get(topic) ?? 0;
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * The CLI jobs of one flow: each started with the flow's environment, its output kept for the
 * PII scan once it ends, and every one still running killed by `killAll` (a failed step leaves
 * no job behind it).
 */
export class FlowJobs {
  /** Everything the ended jobs wrote, and whatever a test adds (the output of one-shot runs). */
  readonly logs: string[] = [];
  private readonly jobs: CliProcess[] = [];

  constructor(private readonly env: Record<string, string>) {}

  start(args: string[], extraEnv: Record<string, string> = {}): CliProcess {
    const job = spawnCli(args, { ...this.env, ...extraEnv });
    this.jobs.push(job);
    return job;
  }

  async finished(job: CliProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const exit = await job.exited;
    const { stdout, stderr } = job.output();
    this.logs.push(stdout, stderr);
    return { ...exit, stderr };
  }

  killAll(): void {
    for (const job of this.jobs) job.kill('SIGKILL');
  }
}
