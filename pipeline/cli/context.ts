import { localLayout } from '../../infra/local/layout.js';
import type { ServiceContext } from '../../infra/local/service.js';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../log/logger.js';

export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
}

/** Reads the configuration once a command runs, so that `--help` works whatever the environment holds. */
export function commandContext(): CommandContext {
  const config = loadConfig();
  return { config, logger: createLogger(config.logLevel) };
}

export function serviceContext(context: CommandContext): ServiceContext {
  return { layout: localLayout(context.config.stateDir, context.config.cacheDir), logger: context.logger };
}
