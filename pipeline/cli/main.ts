#!/usr/bin/env node
import { redact } from '../errors/redact.js';
import { UserError } from '../errors/user-error.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // One line for the person at the terminal; the stack only when debugging.
  const message = error instanceof Error ? error.message : String(error);
  // Only the first line: a library's message can run on for pages.
  process.stderr.write(`piccha: ${redact(message.split('\n')[0] ?? '')}\n`);
  if (!(error instanceof UserError) && process.env.PICCHA_LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${redact(error.stack ?? '')}\n`);
  process.exitCode = 1;
}
