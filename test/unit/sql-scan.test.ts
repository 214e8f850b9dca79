import { describe, expect, it } from 'vitest';
import { scanStatement, SqlScanError } from '../../infra/local/clickhouse/sql-scan.js';

const formats = new Set(['JSONEachRow', 'TabSeparated', 'CSV', 'Native', 'JSON', 'Values']);
const isFormat = (name: string) => formats.has(name);
const scan = (text: string, complete = true) => scanStatement(text, complete, isFormat);

describe('scanStatement: what the HTTP handler needs before the engine parses', () => {
  it('finds where INSERT data begins: spaces, tabs, then one optional \\r\\n after the format name', () => {
    const text = 'INSERT INTO db.t (a, b) FORMAT JSONEachRow \t\r\n{"a":1}\n';
    expect(scan(text, false)).toEqual({ kind: 'insert', target: 'INSERT INTO db.t (a, b)', settings: '', format: 'JSONEachRow', dataStart: text.indexOf('{') });
    // A second newline belongs to the data.
    const blank = 'INSERT INTO t FORMAT TabSeparated\n\n1\n';
    expect(scan(blank, false)).toMatchObject({ dataStart: blank.indexOf('\n') + 1 });
  });

  it('waits for more text while the format name may still be arriving', () => {
    expect(scan('INSERT INTO t FORMAT JSONEach', false)).toBeUndefined();
    expect(scan('INSERT INTO t (a', false)).toBeUndefined();
    expect(scan('INSERT INTO t FORMAT JSONEachRow', true)).toMatchObject({ kind: 'insert', format: 'JSONEachRow', dataStart: 32 });
  });

  it('splits SETTINGS off the target, so that FROM INFILE can go between them', () => {
    expect(scan('INSERT INTO t SETTINGS async_insert = 0 FORMAT CSV\n1,2\n', false)).toMatchObject({ target: 'INSERT INTO t', settings: 'SETTINGS async_insert = 0', format: 'CSV' });
  });

  it('treats VALUES as the Values format, and INSERT … SELECT as a statement without data', () => {
    const values = "INSERT INTO t VALUES (1, 'a;b')";
    expect(scan(values, false)).toMatchObject({ kind: 'insert', format: 'Values', dataStart: values.indexOf('VALUES') + 'VALUES'.length });
    expect(scan('INSERT INTO t SELECT * FROM s FORMAT JSON')).toEqual({ kind: 'statement', sql: 'INSERT INTO t SELECT * FROM s FORMAT JSON', format: 'JSON', returnsRows: false });
  });

  it('ignores FORMAT, VALUES and semicolons inside strings, quoted names and comments', () => {
    expect(scan("SELECT 'FORMAT CSV; SELECT 2' AS `a;b` -- ; FORMAT Native\n/* ; */ FORMAT JSONEachRow")).toEqual({
      kind: 'statement',
      sql: "SELECT 'FORMAT CSV; SELECT 2' AS `a;b` -- ; FORMAT Native\n/* ; */ FORMAT JSONEachRow",
      format: 'JSONEachRow',
      returnsRows: true,
    });
    expect(scan("INSERT INTO t (`FORMAT`) FORMAT CSV\n'x'", false)).toMatchObject({ target: 'INSERT INTO t (`FORMAT`)', format: 'CSV' });
  });

  it('refuses more than one statement, allowing one trailing semicolon', () => {
    expect(scan('SELECT 1;  \n')).toMatchObject({ sql: 'SELECT 1' });
    expect(() => scan('SELECT 1; DROP TABLE t')).toThrow(new SqlScanError('Syntax error (Multi-statements are not allowed)'));
  });

  it('names the format only when it is one, and knows which statements return rows', () => {
    expect(scan('SELECT format FROM t')).toMatchObject({ format: undefined, returnsRows: true });
    expect(scan('CREATE TABLE t (x UInt8) ENGINE = Memory')).toMatchObject({ returnsRows: false });
    for (const query of ['SHOW TABLES', 'DESCRIBE TABLE t', 'EXISTS t', 'EXPLAIN SELECT 1', 'WITH 1 AS x SELECT x', '(SELECT 1)']) expect(scan(query)).toMatchObject({ returnsRows: true });
  });
});
