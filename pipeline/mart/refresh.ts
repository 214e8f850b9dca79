import type { ClickHouse } from '../clickhouse/clickhouse.js';
import type { Migration } from '../clickhouse/migrations.js';

/** `CREATE MATERIALIZED VIEW db.name REFRESH …`: a view ClickHouse recomputes on a schedule. */
const REFRESHABLE_VIEW = /^\s*CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][\w]*\.[A-Za-z_][\w]*)\s+REFRESH\b/i;

/** Comment lines are stripped first: a statement's own header may mention other views. */
function withoutComments(statement: string): string {
  return statement
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
}

/**
 * The refreshable materialized views the migrations create, in file order. A view only
 * DEPENDS ON views of earlier files, so this order refreshes every view after what it reads.
 */
export function refreshableViews(migrations: readonly Migration[]): string[] {
  const views: string[] = [];
  for (const migration of migrations) {
    for (const statement of migration.statements) {
      const match = REFRESHABLE_VIEW.exec(withoutComments(statement));
      if (match?.[1]) views.push(match[1]);
    }
  }
  return views;
}

/**
 * Those of `views` that append to their table instead of replacing it (the logs: a row per check
 * run), as ClickHouse holds them now, after every migration's ALTER.
 */
export async function appendingViews(clickhouse: ClickHouse, views: readonly string[]): Promise<string[]> {
  const rows = await clickhouse.query<{ view: string }>(
    "SELECT concat(database, '.', name) AS view FROM system.tables WHERE has({views:Array(String)}, concat(database, '.', name)) AND position(create_table_query, ' APPEND TO ') > 0",
    { views },
  );
  return views.filter((view) => rows.some((row) => row.view === view));
}

export interface ViewRefresh {
  readonly view: string;
  readonly milliseconds: number;
  readonly rows: number;
}

export class RefreshError extends Error {}

/**
 * Refreshes each view now, in the order given, waiting for each to finish before the next, so
 * that on return every view reflects the data present when its refresh started. ClickHouse
 * runs the same views on their schedule in the background; this is for a caller that needs
 * the MART current at a known moment (after a batch ingest, in tests, after adding a mart).
 */
export async function refreshViews(clickhouse: ClickHouse, views: readonly string[]): Promise<ViewRefresh[]> {
  const report: ViewRefresh[] = [];
  for (const view of views) {
    const [database, name] = view.split('.');
    const [before] = await clickhouse.query<{ status: string }>('SELECT status FROM system.view_refreshes WHERE database = {database:String} AND view = {name:String}', { database, name });
    // A stopped view takes SYSTEM REFRESH VIEW without a word and stays as it was.
    if (before?.status === 'Disabled') throw new RefreshError(`${view} is stopped (SYSTEM STOP VIEW); SYSTEM START VIEW ${view} lets it refresh again`);
    const started = performance.now();
    try {
      await clickhouse.exec(`SYSTEM REFRESH VIEW ${view}`);
      await clickhouse.exec(`SYSTEM WAIT VIEW ${view}`);
    } catch (error) {
      throw new RefreshError(`refreshing ${view} failed: ${(error as Error).message}`, { cause: error });
    }
    const milliseconds = performance.now() - started;
    const [state] = await clickhouse.query<{ written_rows: string | null; exception: string }>(
      'SELECT written_rows, exception FROM system.view_refreshes WHERE database = {database:String} AND view = {name:String}',
      { database, name },
    );
    if (state === undefined) throw new RefreshError(`${view} is not a refreshable materialized view here`);
    if (state.exception !== '') throw new RefreshError(`refreshing ${view} failed: ${state.exception}`);
    report.push({ view, milliseconds, rows: Number(state.written_rows ?? 0) });
  }
  return report;
}

/**
 * Refreshes the views that the just-applied migrations created. Their first refresh is what
 * backfills them from the data already there; an embedded engine closed before it finished
 * would leave them empty until the next scheduled run.
 */
export async function fillCreatedViews(clickhouse: ClickHouse, migrations: readonly Migration[], applied: readonly string[]): Promise<ViewRefresh[]> {
  return refreshViews(clickhouse, refreshableViews(migrations.filter((migration) => applied.includes(migration.name))));
}
