import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/config.js';
import { knownSecrets, redact } from '../errors/redact.js';

export type { Logger };

/**
 * Logs go to stderr so that stdout carries only a command's output (query rows, keys).
 * Human-readable on a terminal, JSON lines otherwise (CI, containers, log shippers).
 */
export function createLogger(level: LogLevel, stream: NodeJS.WriteStream & { fd: number } = process.stderr): Logger {
  const options: LoggerOptions = {
    level,
    base: undefined,
    redact: { paths: ['password', '*.password', 'token', '*.token', 'key', '*.key'], censor: '[secret]' },
    // Secrets inside messages and error texts (a library quoting a URL) are cut out too; looked up per
    // line, since the configuration (services.env, pii.env) may be read after the logger is made.
    hooks: {
      logMethod(args, method) {
        const secrets = knownSecrets();
        method.apply(this, args.map((arg: unknown) => (typeof arg === 'string' ? redact(arg, secrets) : arg)) as Parameters<typeof method>);
      },
    },
    formatters: { log: (object) => JSON.parse(redact(JSON.stringify(object))) as Record<string, unknown> },
  };
  if (stream.isTTY) {
    return pino(options, pretty({ destination: stream.fd, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ fd: stream.fd, sync: true }));
}
