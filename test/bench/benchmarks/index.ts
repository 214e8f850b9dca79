import type { Benchmark } from '../harness.js';
import { clickhouseInsertBenchmark } from './clickhouse-insert.js';
import { clickhouseServiceInsertBenchmark, clickhouseServiceSelectBenchmark } from './clickhouse-service.js';
import { endToEndBenchmark } from './end-to-end.js';
import { generateBenchmark } from './generate.js';
import { ingestBenchmark, ingestFreshnessBenchmark } from './ingest.js';
import { loadBenchmark } from './load.js';
import { martBenchmark } from './mart.js';
import { produceBenchmark } from './produce.js';

/** Every benchmark `npm run bench` knows, in the order it runs them. */
export const BENCHMARKS: readonly Benchmark[] = [clickhouseInsertBenchmark, clickhouseServiceInsertBenchmark, clickhouseServiceSelectBenchmark, generateBenchmark, loadBenchmark, produceBenchmark, ingestBenchmark, ingestFreshnessBenchmark, martBenchmark, endToEndBenchmark];
