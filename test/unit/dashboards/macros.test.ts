import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { expandMacros, MacroError, referencedVariables, type MacroContext } from '../../../dashboards/query/macros.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const from = new Date('2026-11-01T10:00:00.750Z');
const to = new Date('2026-11-02T10:00:00.250Z');
const context: MacroContext = { from, to, intervalMs: 300_000, variables: { network: { values: ['Большая Пикча'] }, city: { all: true } } };

describe('expandMacros (text)', () => {
  it('expands the time macros to whole seconds, as the plugin does', () => {
    expect(expandMacros('WHERE $__timeFilter(ts)', context)).toBe(`WHERE ts >= toDateTime(${Math.floor(from.getTime() / 1000)}) AND ts <= toDateTime(${Math.floor(to.getTime() / 1000)})`);
    expect(expandMacros('$__fromTime_ms $__toTime_ms', context)).toBe(`fromUnixTimestamp64Milli(${from.getTime()}) fromUnixTimestamp64Milli(${to.getTime()})`);
    expect(expandMacros('$__dateFilter(d)', context)).toBe("d >= toDate('2026-11-01') AND d <= toDate('2026-11-02')");
    expect(expandMacros('$__timeInterval(toDate(ts)) $__interval_s', context)).toBe('toStartOfInterval(toDateTime(toDate(ts)), INTERVAL 300 second) 300');
  });
  it('applies $__conditionalAll before variables: «Все» becomes 1=1, a selection its quoted values', () => {
    const sql = '$__conditionalAll(n IN (${network:singlequote}), $network) AND $__conditionalAll(c IN (${city:singlequote}), $city)';
    expect(expandMacros(sql, context)).toBe("n IN ('Большая Пикча') AND 1=1");
    expect(expandMacros(sql, { ...context, variables: { network: { values: ["O'Neil", 'b'] }, city: { values: [] } } })).toBe("n IN ('O\\'Neil','b') AND 1=1");
  });
  it('escapes a backslash as well as a quote in singlequote, which Grafana’s own does not', () => {
    const variables = { network: { values: ['x\\', ') OR 1=1 OR (1 IN (1', "\\'"] } };
    expect(expandMacros('n IN (${network:singlequote})', { ...context, variables })).toBe("n IN ('x\\\\',') OR 1=1 OR (1 IN (1','\\\\\\'')");
  });
  it('percent-encodes a selection as Grafana does: `{a,b}`, RFC 3986 strictly, so no quote or backslash is left', () => {
    const variables = { network: { values: ["x\\'", "(*)!~ ,{}"] } };
    expect(expandMacros("'${network:percentencode}'", { ...context, variables })).toBe("'%7Bx%5C%27%2C%28%2A%29%21~%20%2C%7B%7D%7D'");
  });
  it('refuses an unknown macro, a wrong argument count, an undefined or unquoted variable', () => {
    expect(() => expandMacros('$__timeFiltr(ts)', context)).toThrow(MacroError);
    expect(() => expandMacros('$__timeFilter(a, b)', context)).toThrow(/takes 1 argument/);
    expect(() => expandMacros('x IN (${store:singlequote})', context)).toThrow(/\$store is not defined/);
    expect(() => expandMacros('x = $network', context)).toThrow(/percentencode/);
    expect(() => expandMacros('x IN (${network:csv})', context)).toThrow(/percentencode/);
  });
  it('lists the variables a query uses, not the macros', () => {
    expect(referencedVariables('$__timeFilter(t) AND $__conditionalAll(a IN (${network:singlequote}), $network) AND $city')).toEqual(['city', 'network']);
  });
});

describe('expanded SQL on the real engine', () => {
  const dir = makeTempDir('macros');
  let clickhouse: EmbeddedClickHouse;
  beforeAll(async () => {
    clickhouse = new EmbeddedClickHouse(dir.path);
    await clickhouse.exec('CREATE TABLE IF NOT EXISTS default.events (ts DateTime, d Date, n String) ENGINE = MergeTree ORDER BY ts');
    // One row each: before the range, at its first second, inside, at its last second, after it.
    await clickhouse.exec(
      "INSERT INTO default.events VALUES ('2026-11-01 09:59:59', '2026-10-31', 'a'), ('2026-11-01 10:00:00', '2026-11-01', 'Большая Пикча'), " +
        "('2026-11-01 18:00:00', '2026-11-01', 'Большая Пикча'), ('2026-11-02 10:00:00', '2026-11-02', 'b'), ('2026-11-02 10:00:01', '2026-11-03', 'c')",
    );
  });
  afterAll(async () => {
    await clickhouse.close();
    dir.remove();
  });
  const run = async (sql: string) => clickhouse.query<{ c: string }>(expandMacros(sql, context)).then((rows) => rows.map((row) => Object.values(row)));

  it('$__timeFilter keeps exactly the rows from the range’s first to its last whole second (server time zone UTC)', async () => {
    expect(await run("SELECT count() AS c FROM default.events WHERE $__timeFilter(ts) SETTINGS session_timezone = 'UTC'")).toEqual([['3']]);
  });
  it('$__dateFilter keeps the days of the range', async () => {
    expect(await run('SELECT count() AS c FROM default.events WHERE $__dateFilter(d)')).toEqual([['3']]);
  });
  it('$__conditionalAll filters by the selection and passes everything for «Все»', async () => {
    expect(await run('SELECT count() AS c FROM default.events WHERE $__conditionalAll(n IN (${network:singlequote}), $network)')).toEqual([['2']]);
    expect(await run('SELECT count() AS c FROM default.events WHERE $__conditionalAll(n IN (${city:singlequote}), $city)')).toEqual([['5']]);
  });
  it('a singlequoted selection with backslashes, quotes and SQL in it matches exactly those values', async () => {
    const hostile = ['x\\', ') OR 1=1 OR (1 IN (1', "\\'", "'; SELECT 1; --"];
    const variables = { network: { values: [...hostile, 'a'] } };
    const rows = await clickhouse.query(expandMacros('SELECT arrayJoin([${network:singlequote}]) AS v', { ...context, variables }));
    expect(rows.map((row) => row.v)).toEqual([...hostile, 'a']);
    const [count] = await clickhouse.query(expandMacros('SELECT count() AS c FROM default.events WHERE n IN (${network:singlequote})', { ...context, variables }));
    expect(count?.c).toBe('1');
  });
  it('$__timeInterval buckets by the panel interval', async () => {
    expect(await run("SELECT count(DISTINCT $__timeInterval(ts)) AS c FROM default.events WHERE $__timeFilter(ts) SETTINGS session_timezone = 'UTC'")).toEqual([['3']]);
  });
});
