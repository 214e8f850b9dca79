#!/usr/bin/env node
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
    process.stderr.write(`piccha: ${message}\n`);
    if (!(error instanceof UserError) && process.env.PICCHA_LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
