import { parseArgs } from 'node:util';
import { formatRows } from '../../pipeline/cli/output.js';
import { BENCHMARKS } from './benchmarks/index.js';
import { tableRows, type TableRow } from './harness.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    scale: { type: 'string', default: '1' },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const benchmark of BENCHMARKS) process.stdout.write(`${benchmark.name}: ${benchmark.description}\n`);
  process.exit(0);
}

const scale = Number(values.scale);
if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${values.scale}`);
const selected = values.only === undefined ? BENCHMARKS : BENCHMARKS.filter((benchmark) => values.only?.includes(benchmark.name));
if (selected.length === 0) throw new Error(`no benchmark named ${values.only?.join(', ') ?? ''}; see --list`);

const rows: TableRow[] = [];
let failed = 0;
for (const benchmark of selected) {
  process.stderr.write(`running ${benchmark.name}: ${benchmark.description}\n`);
  try {
    const benchmarkRows = tableRows(benchmark.name, await benchmark.run({ scale }));
    rows.push(...benchmarkRows);
    // Each benchmark's rows as soon as it ends, so that a long run shows progress.
    process.stderr.write(formatRows(benchmarkRows, 'table'));
  } catch (error) {
    failed += 1;
    process.stderr.write(`${benchmark.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    rows.push({ benchmark: benchmark.name, case: `failed: ${error instanceof Error ? error.message : String(error)}`, size: '', throughput: '', p50: '', p95: '', ratio: '', note: '' });
  }
}
process.stdout.write(`\n${formatRows(rows, 'table')}`);
if (failed > 0) process.exitCode = 1;
