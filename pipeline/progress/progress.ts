import cliProgress from 'cli-progress';

export interface Progress {
  increment(by?: number): void;
  stop(): void;
}

/**
 * A progress bar with rate and ETA on a terminal; elsewhere (CI, logs, pipes) a plain line
 * every few seconds. Either way on stderr, so that stdout stays the command's output.
 */
export function createProgress(label: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr, everyMs = 5000): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    let value = 0;
    bar.start(total ?? 0, 0, { rate: 0 });
    return {
      increment(by = 1) {
        value += by;
        bar.increment(by, { rate: Math.round(value / Math.max(0.001, (Date.now() - started) / 1000)) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const started = Date.now();
  let value = 0;
  let last = started;
  const line = () => {
    const seconds = (Date.now() - started) / 1000;
    const rate = value / Math.max(0.001, seconds);
    const share = total ? ` of ${total} (${Math.floor((100 * value) / total)}%)` : '';
    const eta = total && rate > 0 ? `, ETA ${Math.ceil((total - value) / rate)} s` : '';
    stream.write(`${label}: ${value}${share}, ${Math.round(rate)}/s${eta}\n`);
  };
  return {
    increment(by = 1) {
      value += by;
      if (Date.now() - last >= everyMs) {
        last = Date.now();
        line();
      }
    },
    stop(summary = true) {
      if (summary && Date.now() - started >= everyMs) line();
    },
  };
}

export interface CountsProgress {
  increment(name: string, by: number): void;
  /** Ends the display; `summary` false (a run that failed) prints no last line of counts before the error. */
  stop(summary?: boolean): void;
}

/**
 * Counts per name (the producer's entities), each with its rate: one bar a name on a
 * terminal, a line with every count every few seconds otherwise.
 */
export function createCountsProgress(label: string, names: readonly string[], stream: NodeJS.WriteStream = process.stderr, everyMs = 5000): CountsProgress {
  const started = Date.now();
  const counts = new Map(names.map((name) => [name, 0]));
  const rate = (value: number) => Math.round(value / Math.max(0.001, (Date.now() - started) / 1000));
  if (stream.isTTY) {
    const bars = new cliProgress.MultiBar({ stream, format: `${label} {name} | {value} sent | {rate}/s`, fps: 5, hideCursor: true }, cliProgress.Presets.shades_classic);
    const byName = new Map(names.map((name) => [name, bars.create(0, 0, { name: name.padEnd(9), rate: 0 })]));
    return {
      increment(name, by) {
        const value = (counts.get(name) ?? 0) + by;
        counts.set(name, value);
        byName.get(name)?.update(value, { rate: rate(value) });
      },
      stop() {
        bars.stop();
      },
    };
  }
  let last = started;
  const line = () => stream.write(`${label}: ${[...counts].map(([name, value]) => `${name} ${value} (${rate(value)}/s)`).join(', ')}\n`);
  return {
    increment(name, by) {
      counts.set(name, (counts.get(name) ?? 0) + by);
      if (Date.now() - last >= everyMs) {
        last = Date.now();
        line();
      }
    },
    stop(summary = true) {
      if (summary && Date.now() - started >= everyMs) line();
    },
  };
}
