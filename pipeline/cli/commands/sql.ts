import { Command, Option } from 'commander';
import { openClickHouse } from '../../clickhouse/connect.js';
import { splitStatements } from '../../clickhouse/statements.js';
import { UserError } from '../../errors/user-error.js';
import { commandContext } from '../context.js';
import { ROW_FORMATS, writeRows, type RowFormat } from '../output.js';

function collectParam(value: string, params: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UserError(`--param takes name=value, got ${JSON.stringify(value)}`);
  return { ...params, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function sqlCommand(): Command {
  return new Command('sql')
    .description('run one statement against the configured ClickHouse and print its rows as they come')
    .argument('<query>', 'the SQL; bind values with {name:Type} placeholders and --param')
    .option('-p, --param <name=value>', 'a value for a {name:Type} placeholder (repeatable)', collectParam, {})
    .addOption(new Option('-f, --format <format>', 'how to print rows').choices(ROW_FORMATS).default('table'))
    .action(async (query: string, options: { param: Record<string, string>; format: RowFormat }) => {
      const statements = splitStatements(query);
      if (statements.length !== 1) throw new UserError(`sql runs exactly one statement; got ${statements.length}`);
      const { config } = commandContext();
      const clickhouse = openClickHouse(config.clickhouse);
      try {
        await writeRows(clickhouse.queryBatches(statements[0] ?? '', options.param), options.format);
      } finally {
        await clickhouse.close();
      }
    });
}
