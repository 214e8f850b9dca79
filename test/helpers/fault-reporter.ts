import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints, at the end of a run, each fault class the fault suite tried and how many of those
 * the pipeline survived (the test that injected them passed). Silent when no test injected any.
 */
export default class FaultReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const tally = new Map<string, { tried: number; survived: number }>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const passed = test.result().state === 'passed';
        for (const [fault, count] of Object.entries(test.meta().faults ?? {})) {
          const row = tally.get(fault) ?? { tried: 0, survived: 0 };
          row.tried += count;
          if (passed) row.survived += count;
          tally.set(fault, row);
        }
      }
    }
    if (tally.size === 0) return;
    const width = Math.max(...[...tally.keys()].map((fault) => fault.length), 'fault class'.length);
    const lines = ['', 'Fault suite', `${'fault class'.padEnd(width)}  tried  survived`];
    for (const [fault, { tried, survived }] of [...tally].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`${fault.padEnd(width)}  ${String(tried).padStart(5)}  ${String(survived).padStart(8)}`);
    }
    const total = [...tally.values()].reduce((sum, row) => ({ tried: sum.tried + row.tried, survived: sum.survived + row.survived }), { tried: 0, survived: 0 });
    lines.push(`${'total'.padEnd(width)}  ${String(total.tried).padStart(5)}  ${String(total.survived).padStart(8)}`, '');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
