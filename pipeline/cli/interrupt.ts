/** How long a command may take to stop cleanly after SIGINT or SIGTERM before the CLI exits anyway. */
export const STOP_GRACE_MS = 3000;

const EXIT_INTERRUPTED = 130;

export interface Interruption {
  /** Aborts at the first SIGINT or SIGTERM: the command stops at its next safe point. */
  readonly signal: AbortSignal;
  /** Removes the handlers, once the command has ended. */
  dispose(): void;
}

/**
 * SIGINT and SIGTERM for a long-running command: the first asks it to stop cleanly; if it
 * has not within `graceMs`, or a second signal comes, the process exits at once (130), with
 * one line saying so. Work that was acknowledged is already recorded (checkpoints), so the
 * next run goes on from there.
 */
export function interruptible(what: string, graceMs = STOP_GRACE_MS): Interruption {
  const controller = new AbortController();
  let deadline: NodeJS.Timeout | undefined;
  const exitNow = (why: string) => {
    process.stderr.write(`piccha: ${what} interrupted: ${why}; exiting without a clean stop\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) exitNow(`${signal} again`);
    controller.abort();
    // Not unref'd: this timer is what ends the process when the command does not.
    deadline = setTimeout(() => exitNow(`not stopped ${graceMs / 1000} s after ${signal}`), graceMs);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(deadline);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
