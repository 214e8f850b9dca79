/** One measured case of a benchmark: how many units it handled and how fast. */
export interface BenchResult {
  readonly case: string;
  /** Units handled (rows, documents, messages). */
  readonly size: number;
  readonly unit: string;
  readonly seconds: number;
  /** Latencies of the individual operations, in milliseconds, when they mean something. */
  readonly latenciesMs?: readonly number[];
  /** The case the others of its benchmark (or of its group) are compared with. */
  readonly baseline?: boolean;
  /** Cases of one benchmark that answer the same question; each group has its own baseline. */
  readonly group?: string;
  /** What the other columns cannot say: a job's peak memory, latencies as a multiple of a setting. */
  readonly note?: string;
}

export interface BenchOptions {
  /** Multiplies every size: 1 is the documented run, smaller values make quick checks. */
  readonly scale: number;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(options: BenchOptions): Promise<BenchResult[]>;
}

export function scaled(size: number, options: BenchOptions): number {
  return Math.max(1, Math.round(size * options.scale));
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Times `operation`, returning its duration in milliseconds. */
export async function timed(operation: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await operation();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export interface TableRow {
  benchmark: string;
  case: string;
  size: string;
  throughput: string;
  p50: string;
  p95: string;
  ratio: string;
  note: string;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ms = (value: number) => (Number.isNaN(value) ? '' : `${value.toFixed(value < 10 ? 2 : 1)} ms`);

/** 374.7×, 2.8×, 0.077×: small ratios keep two significant digits. */
function ratioText(ratio: number): string {
  return `${ratio >= 1 ? ratio.toFixed(1) : ratio.toPrecision(2)}×`;
}

/** One row per case; the ratio is throughput over its group's baseline's, both measured in this run. */
export function tableRows(benchmark: string, results: readonly BenchResult[]): TableRow[] {
  const rate = (result: BenchResult) => result.size / result.seconds;
  return results.map((result) => {
    const baseline = results.find((other) => other.baseline && other.group === result.group);
    return {
      benchmark,
      case: result.case,
      size: `${number.format(result.size)} ${result.unit}`,
      // A case without a duration (a memory figure) has no throughput.
      throughput: Number.isFinite(rate(result)) ? `${number.format(rate(result))} ${result.unit}/s` : '',
      p50: ms(percentile(result.latenciesMs ?? [], 50)),
      p95: ms(percentile(result.latenciesMs ?? [], 95)),
      ratio: baseline === undefined ? '' : result.baseline ? 'baseline' : ratioText(rate(result) / rate(baseline)),
      note: result.note ?? '',
    };
  });
}
