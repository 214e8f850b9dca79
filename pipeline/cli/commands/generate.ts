import { Command, Option } from 'commander';
import { ENTITIES } from '../../entities/entities.js';
import { UserError } from '../../errors/user-error.js';
import { DEFECT_DESCRIPTIONS, DEFECT_KINDS, DIRTY_PROFILES, validateRates, type DefectKind } from '../../generate/defects.js';
import { DEFAULT_COUNTS } from '../../generate/generator.js';
import type { Manifest } from '../../generate/manifest.js';
import { runGeneration } from '../../generate/run.js';
import { prepareOutputFolder } from '../../generate/output-folder.js';
import { filesSink, GENERATED_NAMES, mongoSink, ndjsonSink, type DocumentSink } from '../../generate/sinks.js';
import { connectMongo } from '../../mongo/client.js';
import { createProgress } from '../../progress/progress.js';
import { refuseWithout, wholeNumber } from '../arguments.js';
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
  force?: boolean;
}

/** Upper bounds that keep a typo of a few zeros from running for days or filling a disk; stores, products and customers are held in memory. */
const MAX_COUNTS = { stores: 100_000, products: 100_000, customers: 1_000_000, purchases: 100_000_000 } as const;
const MAX_DAYS = 3650;

const RATE = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/;

function collectDefect(value: string, rates: Record<string, number>): Record<string, number> {
  const parts = value.split('=');
  const [kind, rate] = parts;
  if (kind === undefined || !(DEFECT_KINDS as readonly string[]).includes(kind)) throw new UserError(`--defect: unknown defect ${JSON.stringify(kind)}; known: ${DEFECT_KINDS.join(', ')}`);
  if (parts.length !== 2 || rate === undefined || !RATE.test(rate)) throw new UserError(`--defect ${kind} takes a rate from 0 to 1 as a decimal, as ${kind}=0.05; got ${JSON.stringify(value)}`);
  return { ...rates, [kind]: Number(rate) };
}

/** Strict ISO-8601 with a zone: `Date.parse` alone takes "0", "March 7" and year 275760. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseNow(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const match = ISO_INSTANT.exec(value);
  const now = match ? Date.parse(value) : Number.NaN;
  const [, year, month, day, hour, minute, second] = (match ?? []).map(Number);
  // Date.parse rolls 2026-02-30 over to March: the fields must survive the round trip.
  const calendar = match ? new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0, hour ?? 0, minute ?? 0, second || 0)) : undefined;
  const valid = calendar !== undefined && calendar.getUTCMonth() === (month ?? 0) - 1 && calendar.getUTCDate() === day && (hour ?? 0) < 24 && (minute ?? 0) < 60 && (second || 0) < 60;
  if (!valid || Number.isNaN(now) || (year ?? 0) < 1970) {
    throw new UserError(`--now takes an ISO-8601 date-time with a zone, from year 1970 to 9999, as 2026-11-25T12:00:00Z; got ${JSON.stringify(value)}`);
  }
  return now;
}

export function generateCommand(): Command {
  const command = new Command('generate')
    .description('generate the chain\'s stores, products, customers and purchases, clean or with defects, into MongoDB or files')
    .option('--seed <n>', 'random seed: the same seed and --now give byte-identical output', wholeNumber('--seed'), 42)
    .option('--now <iso>', 'reference time that every date is relative to, ISO-8601 with a zone (default: the current time)')
    .option('--days <n>', 'purchases fall within this many days before --now', wholeNumber('--days', 1, MAX_DAYS), 90);
  for (const entity of ENTITIES) command.option(`--${entity} <n>`, `how many ${entity} (at most ${MAX_COUNTS[entity]})`, wholeNumber(`--${entity}`, 0, MAX_COUNTS[entity]), DEFAULT_COUNTS[entity]);
  return command
    .addOption(new Option('--dirty <profile>', 'defect profile').choices(Object.keys(DIRTY_PROFILES)).default('none'))
    .option('--defect <kind=rate>', `a defect's rate, over the profile's (repeatable): ${DEFECT_KINDS.join(', ')}`, collectDefect, {})
    .option('--max-copies <n>', 'a duplicated document is sent again 1 to n times (1–3)', wholeNumber('--max-copies', 1, 3))
    .addOption(new Option('--format <format>', 'mongo (MONGO_URL, MONGO_DB), files (DIR/<entity>/<id>.json) or ndjson (DIR/<entity>.ndjson)').choices(['mongo', 'files', 'ndjson']).default('mongo'))
    .option('--out <dir>', 'output folder for files and ndjson, empty or new; manifest.json goes beside the data')
    .option('--force', 'with --out: first remove what an earlier run wrote there')
    .addHelpText('after', `\nDefects:\n${DEFECT_KINDS.map((kind) => `  ${kind.padEnd(18)} ${DEFECT_DESCRIPTIONS[kind]}`).join('\n')}\n`)
    .action(async (flags: GenerateFlags) => {
      refuseWithout(command, '--out', ['--force']);
      const { config } = commandContext();
      const profile = DIRTY_PROFILES[flags.dirty] ?? { rates: {}, maxCopies: 1 };
      const maxCopies = flags.maxCopies ?? profile.maxCopies;
      if (flags.format === 'mongo' && flags.out !== undefined) throw new UserError('--out is for --format files or ndjson; --format mongo writes to MONGO_URL, MONGO_DB');
      if (flags.format !== 'mongo' && flags.out === undefined) throw new UserError(`--format ${flags.format} needs --out <dir>`);
      const options = {
        seed: flags.seed,
        now: parseNow(flags.now),
        days: flags.days,
        counts: { stores: flags.stores, products: flags.products, customers: flags.customers, purchases: flags.purchases },
        defects: { rates: { ...profile.rates, ...(flags.defect as Partial<Record<DefectKind, number>>) }, maxCopies },
        profile: Object.keys(flags.defect).length > 0 ? `${flags.dirty}+custom` : flags.dirty,
      };
      // Everything that can be refused is refused before the output folder is touched.
      try {
        validateRates(options.defects.rates, ENTITIES);
      } catch (error) {
        throw new UserError((error as Error).message, { cause: error });
      }
      let sink: DocumentSink;
      let close = () => Promise.resolve();
      if (flags.format === 'mongo') {
        const { client, db } = await connectMongo(config.mongo);
        sink = mongoSink(db);
        close = () => client.close();
      } else {
        const out = flags.out ?? '';
        prepareOutputFolder(out, GENERATED_NAMES, flags.force === true);
        sink = flags.format === 'files' ? filesSink(out) : ndjsonSink(out);
      }
      const total = Object.values(options.counts).reduce((sum, count) => sum + count, 0);
      const progress = createProgress('generate', total);
      let manifest: Manifest;
      try {
        manifest = await runGeneration(options, sink, progress);
      } finally {
        progress.stop();
        await close();
      }
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
    });
}
