import { localLayout } from '../../infra/local/layout.js';
import { servicesDown, servicesUp } from '../../infra/local/services.js';
import { loadConfig } from '../../pipeline/config/config.js';
import { createLogger } from '../../pipeline/log/logger.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Runs `body` against a FerretDB of its own, started like `services up` on a free port. */
export async function withLocalMongo<T>(body: (mongoUrl: string) => Promise<T>): Promise<T> {
  const state = makeTempDir('bench-services');
  const config = loadConfig({ PICCHA_STATE_DIR: state.path, PICCHA_CACHE_DIR: process.env.PICCHA_CACHE_DIR });
  const context = { layout: localLayout(config.stateDir, config.cacheDir), logger: createLogger('warn') };
  try {
    const [mongo] = await servicesUp(context, { only: ['mongo'], ports: 'random' });
    return await body(`mongodb://${mongo?.address ?? ''}/`);
  } finally {
    await servicesDown(context);
    state.remove();
  }
}
