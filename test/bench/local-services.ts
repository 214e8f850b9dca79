import { localLayout } from '../../infra/local/layout.js';
import { servicesDown, servicesUp } from '../../infra/local/services.js';
import { loadConfig } from '../../pipeline/config/config.js';
import { readEnvFile } from '../../pipeline/config/env-file.js';
import { createLogger } from '../../pipeline/log/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Runs `body` against local services of its own (as `services up` starts them), on free ports. */
export async function withLocalServices<T>(only: readonly ('kafka' | 'mongo')[], body: (env: { MONGO_URL?: string; KAFKA_BROKERS?: string }) => Promise<T>): Promise<T> {
  const state = makeTempDir('bench-services');
  const config = loadConfig({ PICCHA_STATE_DIR: state.path, PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR });
  const context = { layout: localLayout(config.stateDir, config.cacheDir), logger: createLogger('warn') };
  try {
    await servicesUp(context, { only, ports: 'random' });
    return await body(readEnvFile(context.layout.envFile));
  } finally {
    await servicesDown(context);
    state.remove();
  }
}
