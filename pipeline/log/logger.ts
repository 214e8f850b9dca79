import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/**
 * Logs go to stderr so that stdout carries only a command's output (query rows, keys).
 * Human-readable on a terminal, JSON lines otherwise (CI, containers, log shippers).
 */
export function createLogger(level: LogLevel, stream: NodeJS.WriteStream & { fd: number } = process.stderr): Logger {
  const options = { level, base: undefined, redact: { paths: ['password', '*.password', 'token', '*.token', 'key', '*.key'], censor: '[secret]' } };
  if (stream.isTTY) {
    return pino(options, pretty({ destination: stream.fd, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ fd: stream.fd, sync: true }));
}
