import { writeSync } from 'node:fs';

/**
 * Runs `piccha <args>` in this process and, as it exits, writes its peak resident set size
 * to standard error as `piccha-bench-max-rss-kb N`: how the benchmarks measure each job's memory.
 */
process.on('exit', () => writeSync(2, `\npiccha-bench-max-rss-kb ${process.resourceUsage().maxRSS}\n`));
await import('../../pipeline/cli/main.js');
