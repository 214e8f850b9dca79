import { Command } from 'commander';
import { checkMongoDatabase } from '../../config/config.js';
import { ENTITIES } from '../../entities/entities.js';
import { UserError } from '../../errors/user-error.js';
import { loadFolder, REJECTED_COLLECTION } from '../../load/load.js';
import { connectMongo } from '../../mongo/client.js';
import { createProgress } from '../../progress/progress.js';
import { wholeNumber } from '../arguments.js';
import { commandContext } from '../context.js';
import { formatRows } from '../output.js';

export function loadCommand(): Command {
  return new Command('load')
    .description('load a folder (the seed\'s DIR/<entity>/*.json layout or DIR/<entity>.ndjson) into MongoDB, idempotently')
    .argument('<dir>', 'the folder to load')
    .option('--db <name>', 'the MongoDB database (default: MONGO_DB)')
    .option('--batch-size <n>', 'documents per bulk write', wholeNumber('--batch-size', 1), 1000)
    .action(async (dir: string, flags: { db?: string; batchSize: number }) => {
      const { config } = commandContext();
      const database = flags.db === undefined ? config.mongo.database : checkMongoDatabase(flags.db, '--db');
      const { client, db } = await connectMongo({ ...config.mongo, database });
      const progress = createProgress('load', undefined);
      try {
        const summary = await loadFolder(db, dir, {
          batchSize: flags.batchSize,
          progress,
          // One writer per database at a time: a second load waits, then finds what the first wrote.
          onWaiting: (holder) => process.stderr.write(`load: waiting for ${holder}, which is writing to ${db.databaseName}\n`),
        });
        progress.stop();
        process.stdout.write(formatRows(ENTITIES.map((entity) => ({ collection: entity, ...summary.entities[entity] })), 'table'));
        const rejected = ENTITIES.reduce((sum, entity) => sum + summary.entities[entity].rejected, 0);
        if (rejected > 0) process.stdout.write(`${rejected} rejected document(s) recorded in ${db.databaseName}.${REJECTED_COLLECTION} with file, line and reason\n`);
        if (summary.skipped.length > 0) process.stdout.write(`${summary.skipped.length} name(s) skipped, not regular files: ${summary.skipped.map((skipped) => `${skipped.file} (${skipped.reason})`).join('; ')}\n`);
        if (summary.unreadable.length > 0) {
          throw new UserError(`could not read ${summary.unreadable.length} file(s): ${summary.unreadable.map((failure) => `${failure.file} (${failure.reason})`).join('; ')}`);
        }
      } finally {
        await client.close();
      }
    });
}
