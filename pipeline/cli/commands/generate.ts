import { Command, Option } from 'commander';
import { ENTITIES } from '../../entities/entities.js';
import { UserError } from '../../errors/user-error.js';
import { DEFECT_DESCRIPTIONS, DEFECT_KINDS, DIRTY_PROFILES, type DefectKind } from '../../generate/defects.js';
import { DEFAULT_COUNTS } from '../../generate/generator.js';
import { runGeneration } from '../../generate/run.js';
import { filesSink, mongoSink, ndjsonSink, type DocumentSink } from '../../generate/sinks.js';
import { connectMongo } from '../../mongo/client.js';
import { createProgress } from '../../progress/progress.js';
import { wholeNumber } from '../arguments.js';
import { commandContext } from '../context.js';
import { formatRows } from '../output.js';

interface GenerateFlags {
  seed: number;
  now?: string;
  days: number;
  stores: number;
  products: number;
  customers: number;
  purchases: number;
  dirty: string;
  defect: Record<string, number>;
  maxCopies?: number;
  format: 'mongo' | 'files' | 'ndjson';
  out?: string;
}

function collectDefect(value: string, rates: Record<string, number>): Record<string, number> {
  const [kind, rate] = value.split('=');
  if (kind === undefined || !(DEFECT_KINDS as readonly string[]).includes(kind)) throw new UserError(`--defect: unknown defect ${JSON.stringify(kind)}; known: ${DEFECT_KINDS.join(', ')}`);
  const number = Number(rate);
  if (rate === undefined || rate === '' || !(number >= 0 && number <= 1)) throw new UserError(`--defect ${kind} takes a rate from 0 to 1, as ${kind}=0.05`);
  return { ...rates, [kind]: number };
}

function parseNow(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const now = Date.parse(value);
  if (Number.isNaN(now)) throw new UserError(`--now takes an ISO date-time, as 2026-11-25T12:00:00Z; got ${JSON.stringify(value)}`);
  return now;
}

export function generateCommand(): Command {
  const command = new Command('generate')
    .description('generate the chain\'s stores, products, customers and purchases, clean or with defects, into MongoDB or files')
    .option('--seed <n>', 'random seed: the same seed and --now give byte-identical output', wholeNumber('--seed'), 42)
    .option('--now <iso>', 'reference time that every date is relative to (default: the current time)')
    .option('--days <n>', 'purchases fall within this many days before --now', wholeNumber('--days'), 90);
  for (const entity of ENTITIES) command.option(`--${entity} <n>`, `how many ${entity}`, wholeNumber(`--${entity}`), DEFAULT_COUNTS[entity]);
  return command
    .addOption(new Option('--dirty <profile>', 'defect profile').choices(Object.keys(DIRTY_PROFILES)).default('none'))
    .option('--defect <kind=rate>', `a defect's rate, over the profile's (repeatable): ${DEFECT_KINDS.join(', ')}`, collectDefect, {})
    .option('--max-copies <n>', 'a duplicated document is sent again 1 to n times (1–3)', wholeNumber('--max-copies'))
    .addOption(new Option('--format <format>', 'mongo (MONGO_URL, MONGO_DB), files (DIR/<entity>/<id>.json) or ndjson (DIR/<entity>.ndjson)').choices(['mongo', 'files', 'ndjson']).default('mongo'))
    .option('--out <dir>', 'output folder for files and ndjson; manifest.json goes beside the data')
    .addHelpText('after', `\nDefects:\n${DEFECT_KINDS.map((kind) => `  ${kind.padEnd(18)} ${DEFECT_DESCRIPTIONS[kind]}`).join('\n')}\n`)
    .action(async (flags: GenerateFlags) => {
      const { config } = commandContext();
      const profile = DIRTY_PROFILES[flags.dirty] ?? { rates: {}, maxCopies: 1 };
      const maxCopies = flags.maxCopies ?? profile.maxCopies;
      if (maxCopies < 1 || maxCopies > 3) throw new UserError('--max-copies must be 1, 2 or 3');
      if (flags.format !== 'mongo' && flags.out === undefined) throw new UserError(`--format ${flags.format} needs --out <dir>`);
      if (flags.days < 1) throw new UserError('--days must be at least 1');
      const options = {
        seed: flags.seed,
        now: parseNow(flags.now),
        days: flags.days,
        counts: { stores: flags.stores, products: flags.products, customers: flags.customers, purchases: flags.purchases },
        defects: { rates: { ...profile.rates, ...(flags.defect as Partial<Record<DefectKind, number>>) }, maxCopies },
        profile: Object.keys(flags.defect).length > 0 ? `${flags.dirty}+custom` : flags.dirty,
      };
      const total = Object.values(options.counts).reduce((sum, count) => sum + count, 0);
      const progress = createProgress('generate', total);
      let sink: DocumentSink;
      let close = () => Promise.resolve();
      if (flags.format === 'mongo') {
        const { client, db } = await connectMongo(config.mongo);
        sink = mongoSink(db);
        close = () => client.close();
      } else {
        const out = flags.out ?? '';
        sink = flags.format === 'files' ? filesSink(out) : ndjsonSink(out);
      }
      try {
        const manifest = await runGeneration(options, sink, progress);
        const rows = ENTITIES.map((entity) => ({
          entity,
          documents: manifest.documents[entity],
          defects: DEFECT_KINDS.map((kind) => [kind, manifest.defects[kind]?.[entity]?.count ?? 0] as const)
            .filter(([, count]) => count > 0)
            .map(([kind, count]) => `${kind}=${count}`)
            .join(' '),
        }));
        process.stdout.write(formatRows(rows, 'table'));
        process.stdout.write(`seed ${manifest.seed}, now ${manifest.now}, profile ${manifest.profile}; written to ${flags.format === 'mongo' ? `MongoDB ${config.mongo.database}` : flags.out ?? ''}\n`);
      } finally {
        await close();
      }
    });
}
