import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config/project-root.js';
import { UserError } from '../errors/user-error.js';
import type { ClickHouse } from './clickhouse.js';
import { splitStatements } from './statements.js';

/** `001_raw_purchases.sql`: an ordering number, the layer, then what it builds. */
const MIGRATION_FILE = /^(\d{3,})_([a-z]+)_([a-z0-9_]+)\.sql$/;

export interface Migration {
  /** The file name, which is also the version recorded once applied. */
  readonly name: string;
  readonly layer: string;
  readonly checksum: string;
  readonly statements: readonly string[];
}

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly alreadyApplied: readonly string[];
}

export class MigrationError extends UserError {}

export const MIGRATIONS_TABLE = 'piccha_meta.schema_migrations';

export function defaultMigrationsDir(): string {
  return join(projectRoot(), 'sql');
}

/** Reads every .sql file of a folder, ordered by name; badly named files are an error. */
export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new MigrationError(`migrations folder ${dir} does not exist`);
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  return files.map((name) => {
    const match = MIGRATION_FILE.exec(name);
    if (!match) throw new MigrationError(`${join(dir, name)}: migration files are named NNN_<layer>_<name>.sql`);
    const text = readFileSync(join(dir, name), 'utf8');
    let statements: string[];
    try {
      statements = splitStatements(text);
    } catch (error) {
      throw new MigrationError(`${join(dir, name)}: ${(error as Error).message}`);
    }
    if (statements.length === 0) throw new MigrationError(`${join(dir, name)}: holds no statement`);
    return {
      name,
      layer: match[2] ?? '',
      checksum: createHash('sha256').update(text).digest('hex'),
      statements,
    };
  });
}

async function ensureMigrationsTable(clickhouse: ClickHouse): Promise<void> {
  await clickhouse.exec('CREATE DATABASE IF NOT EXISTS piccha_meta');
  await clickhouse.exec(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
       name String,
       checksum FixedString(64),
       applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
     ) ENGINE = MergeTree ORDER BY name`,
  );
}

/**
 * Applies, in order, the migrations not yet recorded as applied. A recorded migration whose
 * file has changed since is an error: applied DDL is changed by a new migration, not by
 * editing an old one.
 */
export async function migrate(clickhouse: ClickHouse, migrations: readonly Migration[]): Promise<MigrationReport> {
  await ensureMigrationsTable(clickhouse);
  const recorded = await clickhouse.query<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${MIGRATIONS_TABLE}`);
  const appliedChecksums = new Map(recorded.map((row) => [row.name, row.checksum]));
  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  for (const migration of migrations) {
    const checksum = appliedChecksums.get(migration.name);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new MigrationError(`${migration.name} was changed after it was applied; add a new migration instead`);
      }
      alreadyApplied.push(migration.name);
      continue;
    }
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await clickhouse.exec(statement);
      } catch (error) {
        throw new MigrationError(`${migration.name}, statement ${index + 1}: ${(error as Error).message}`, { cause: error });
      }
    }
    await clickhouse.insert(MIGRATIONS_TABLE, [{ name: migration.name, checksum: migration.checksum }]);
    applied.push(migration.name);
  }
  return { applied, alreadyApplied };
}
