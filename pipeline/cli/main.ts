#!/usr/bin/env node
import { UserError } from '../errors/user-error.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // One line for the person at the terminal; the stack only when debugging.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`piccha: ${message}\n`);
  if (!(error instanceof UserError) && process.env.PICCHA_LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  process.exitCode = 1;
}
