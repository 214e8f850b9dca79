#!/usr/bin/env node
import { redact } from '../errors/redact.js';
import { UserError } from '../errors/user-error.js';
import { isHelpExit, throwUsageErrors } from './failures.js';
import { buildProgram } from './program.js';

try {
  const program = buildProgram();
  throwUsageErrors(program);
  await program.parseAsync(process.argv);
} catch (error) {
  if (!isHelpExit(error)) {
    // One line for the person at the terminal; the stack only when debugging.
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    // Whatever library wrote the message, no password or key leaves with it.
    process.stderr.write(`piccha: ${redact(message)}\n`);
    if (!(error instanceof UserError) && process.env.PICCHA_LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${redact(error.stack ?? '')}\n`);
    process.exitCode = 1;
  }
}
