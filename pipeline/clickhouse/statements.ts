/** A SQL string literal: backslashes and single quotes escaped. */
export const sqlString = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Splits a SQL script into statements at top-level semicolons, skipping those inside
 * quotes, back-quoted names and comments. Statements that hold only comments are dropped.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let hasCode = false;
  let i = 0;
  const n = script.length;
  const push = (end: number) => {
    if (hasCode) statements.push(script.slice(start, end).trim());
    start = end + 1;
    hasCode = false;
  };
  while (i < n) {
    const ch = script[i];
    const next = script[i + 1];
    if (ch === '-' && next === '-') {
      i = lineEnd(script, i);
    } else if (ch === '#' && (next === ' ' || next === '!')) {
      i = lineEnd(script, i);
    } else if (ch === '/' && next === '*') {
      const close = script.indexOf('*/', i + 2);
      if (close < 0) throw new Error('unterminated /* comment');
      i = close + 2;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      i = quotedEnd(script, i, ch);
      hasCode = true;
    } else if (ch === ';') {
      push(i);
      i += 1;
    } else {
      if (ch !== undefined && !/\s/.test(ch)) hasCode = true;
      i += 1;
    }
  }
  push(n);
  return statements;
}

function lineEnd(script: string, from: number): number {
  const newline = script.indexOf('\n', from);
  return newline < 0 ? script.length : newline + 1;
}

/** Index just past the closing quote; a backslash or a doubled quote escapes it. */
function quotedEnd(script: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < script.length) {
    const ch = script[i];
    if (ch === '\\') i += 2;
    else if (ch === quote && script[i + 1] === quote) i += 2;
    else if (ch === quote) return i + 1;
    else i += 1;
  }
  throw new Error(`unterminated ${quote} quote starting at offset ${open}`);
}
