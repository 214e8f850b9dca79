/**
 * Just enough of ClickHouse's lexer to do what the server's HTTP handler does before parsing:
 * tell one statement from several, find where an INSERT's data begins, and see which output
 * format a query names. The text is scanned as latin1, so that offsets are byte offsets and
 * the data after an INSERT's FORMAT (possibly binary) is never decoded.
 */

interface Token {
  readonly kind: 'word' | 'string' | 'quoted' | 'punct';
  readonly start: number;
  readonly end: number;
  /** Parenthesis depth at the token. */
  readonly depth: number;
}

export class SqlScanError extends Error {}

const WORD = /[A-Za-z0-9_$]/;

/**
 * Tokens from `from` on. Comments and whitespace are skipped; the text may end inside a
 * string, quoted name or comment (a statement still arriving).
 */
function* tokens(text: string, from = 0): Generator<Token, void> {
  let i = from;
  let depth = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i += 1;
    } else if ((c === '-' && text[i + 1] === '-') || c === '#') {
      const eol = text.indexOf('\n', i);
      if (eol < 0) return;
      i = eol + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return;
      i = close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return;
        const d = text[j];
        if (d === '\\') j += 2;
        else if (d === c && text[j + 1] === c) j += 2;
        else if (d === c) break;
        else j += 1;
      }
      yield { kind: c === "'" ? 'string' : 'quoted', start: i, end: j + 1, depth };
      i = j + 1;
    } else if (c === '$' && /^\$[A-Za-z0-9_]*\$/.test(text.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z0-9_]*\$/.exec(text.slice(i, i + 64))?.[0] ?? '$$';
      const close = text.indexOf(tag, i + tag.length);
      if (close < 0) return;
      yield { kind: 'string', start: i, end: close + tag.length, depth };
      i = close + tag.length;
    } else if (WORD.test(c)) {
      let j = i + 1;
      while (j < text.length && WORD.test(text[j] ?? '')) j += 1;
      yield { kind: 'word', start: i, end: j, depth };
      i = j;
    } else {
      if (c === '(' || c === '[') depth += 1;
      if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
      yield { kind: 'punct', start: i, end: i + 1, depth };
      i += 1;
    }
  }
}

const word = (text: string, token: Token | undefined): string => (token?.kind === 'word' ? text.slice(token.start, token.end).toUpperCase() : '');

/** Where INSERT data starts after `FORMAT <name>`: spaces, tabs and form feeds, then one optional \r and one optional \n. */
function dataStartAfter(text: string, nameEnd: number): number {
  let i = nameEnd;
  while (text[i] === ' ' || text[i] === '\t' || text[i] === '\f') i += 1;
  if (text[i] === '\r') i += 1;
  if (text[i] === '\n') i += 1;
  return i;
}

export interface InsertWithData {
  readonly kind: 'insert';
  /** The statement up to (not including) FORMAT, e.g. `INSERT INTO t (a, b)`, with any SETTINGS split off. */
  readonly target: string;
  /** The text of a `SETTINGS …` clause given before FORMAT, or ''. */
  readonly settings: string;
  readonly format: string;
  /** Byte offset in the scanned text where the data begins. */
  readonly dataStart: number;
}

export interface OtherStatement {
  readonly kind: 'statement';
  /** The statement without a trailing `;`. */
  readonly sql: string;
  /** The format named by a `FORMAT <name>` clause, if any. */
  readonly format: string | undefined;
  /** True for statements that return rows (SELECT, SHOW, DESCRIBE, EXISTS, EXPLAIN, …). */
  readonly returnsRows: boolean;
}

export type ScannedStatement = InsertWithData | OtherStatement;

const ROW_STATEMENTS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN', 'CHECK', 'VALUES', 'FROM']);

/**
 * Scans a statement whose text may still be arriving. Returns undefined when more text is
 * needed to decide (an INSERT whose FORMAT name may not be complete yet), unless `complete`.
 * Throws SqlScanError for more than one statement, as the server does.
 */
export function scanStatement(text: string, complete: boolean, isFormat: (name: string) => boolean): ScannedStatement | undefined {
  const list: Token[] = [];
  const iterator = tokens(text);
  let first = '';
  for (let step = iterator.next(); !step.done; step = iterator.next()) {
    const token = step.value;
    list.push(token);
    if (list.length === 1) first = word(text, token);
    if (first !== 'INSERT' || token.depth !== 0 || token.kind !== 'word') continue;
    const keyword = word(text, token);
    if (keyword === 'SELECT' || keyword === 'WITH') first = 'INSERT SELECT';
    else if (keyword === 'FORMAT' || keyword === 'VALUES') {
      const name = keyword === 'VALUES' ? token : iterator.next().value;
      if (name === undefined || name.kind !== 'word') {
        if (!complete) return undefined;
        throw new SqlScanError('Syntax error: expected a format name after FORMAT');
      }
      // The name may continue in text not received yet.
      if (name.end >= text.length && !complete) return undefined;
      const settingsAt = list.findIndex((t) => t.depth === 0 && word(text, t) === 'SETTINGS');
      const targetEnd = settingsAt >= 0 ? (list[settingsAt]?.start ?? token.start) : token.start;
      return {
        kind: 'insert',
        target: text.slice(0, targetEnd).trim(),
        settings: settingsAt >= 0 ? text.slice(targetEnd, token.start).trim() : '',
        format: keyword === 'VALUES' ? 'Values' : text.slice(name.start, name.end),
        dataStart: keyword === 'VALUES' ? token.end : dataStartAfter(text, name.end),
      };
    }
  }
  if (!complete) return undefined;
  const semicolon = list.findIndex((t) => t.kind === 'punct' && t.depth === 0 && text[t.start] === ';');
  if (semicolon >= 0 && semicolon < list.length - 1) throw new SqlScanError('Syntax error (Multi-statements are not allowed)');
  const body = semicolon >= 0 ? list.slice(0, semicolon) : list;
  const end = semicolon >= 0 ? (list[semicolon]?.start ?? text.length) : text.length;
  let format: string | undefined;
  for (const [index, token] of body.entries()) {
    const next = body[index + 1];
    if (token.depth === 0 && word(text, token) === 'FORMAT' && next?.kind === 'word') {
      const name = text.slice(next.start, next.end);
      if (isFormat(name)) format = name;
    }
  }
  const opening = body[0]?.kind === 'punct' && text[body[0].start] === '(' ? 'SELECT' : first;
  return { kind: 'statement', sql: text.slice(0, end).trim(), format, returnsRows: ROW_STATEMENTS.has(opening) };
}
