import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../pipeline/clickhouse/statements.js';

describe('splitStatements', () => {
  it('splits at top-level semicolons and trims', () => {
    expect(splitStatements('CREATE DATABASE a;\n\nCREATE TABLE a.t (x UInt8) ENGINE = Memory;\n')).toEqual([
      'CREATE DATABASE a',
      'CREATE TABLE a.t (x UInt8) ENGINE = Memory',
    ]);
  });

  it('keeps semicolons inside strings, quoted names and comments', () => {
    const script = `SELECT 'a;b', "c;d", \`e;f\` -- tail; comment
;
/* block; comment */ SELECT 'it''s; fine', 'esc\\'; aped'`;
    expect(splitStatements(script)).toEqual([
      `SELECT 'a;b', "c;d", \`e;f\` -- tail; comment`,
      `/* block; comment */ SELECT 'it''s; fine', 'esc\\'; aped'`,
    ]);
  });

  it('drops statements that hold only comments or blanks', () => {
    expect(splitStatements('-- header only;\n;\n  ;\n/* nothing */;SELECT 1')).toEqual(['SELECT 1']);
  });

  it('names an unterminated quote or comment', () => {
    expect(() => splitStatements("SELECT 'open")).toThrow(/unterminated ' quote/);
    expect(() => splitStatements('SELECT 1 /* open')).toThrow(/unterminated \/\* comment/);
  });
});
