/** A ClickHouse exception as the server reports it: a numeric code, its name, a message. */
export class ClickHouseException extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

/** The codes this server raises itself (the engine names its own). Numbers from the engine's errorCodeToName(). */
export const CODES = {
  SYNTAX_ERROR: 62,
  UNKNOWN_SETTING: 115,
  BAD_ARGUMENTS: 36,
  AUTHENTICATION_FAILED: 516,
  NOT_IMPLEMENTED: 48,
  QUERY_IS_TOO_LARGE: 229,
  UNKNOWN_COMPRESSION_METHOD: 89,
  CANNOT_DECOMPRESS: 271,
  CHECKSUM_DOESNT_MATCH: 40,
  QUERY_WAS_CANCELLED: 394,
  HTTP_LENGTH_REQUIRED: 381,
  STD_EXCEPTION: 1001,
} as const;

export function exception(name: keyof typeof CODES, message: string): ClickHouseException {
  return new ClickHouseException(CODES[name], name, message);
}

/**
 * The engine's error text, `[Query failed: ]Code: N. DB::Exception: <message>. (NAME)`, as an
 * exception; anything else is an internal error, as the server reports a std::exception.
 */
export function fromEngineError(error: unknown): ClickHouseException {
  if (error instanceof ClickHouseException) return error;
  const text = error instanceof Error ? error.message : String(error);
  const match = /Code: (\d+)\. DB::Exception: ([\s\S]*)\(([A-Z_0-9]+)\)\s*(?:\(version [^)]*\)\s*)?$/.exec(text);
  if (match) return new ClickHouseException(Number(match[1]), match[3] ?? 'UNKNOWN_EXCEPTION', (match[2] ?? '').trim().replace(/\.$/, ''));
  return exception('STD_EXCEPTION', text);
}

const STATUS_BY_NAME: Readonly<Record<string, number>> = Object.fromEntries(<[string, number][]>[
  ...['REQUIRED_PASSWORD'].map((name): [string, number] => [name, 401]),
  ...['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE'].map((name): [string, number] => [name, 403]),
  ...[
    'BAD_ARGUMENTS', 'CANNOT_COMPILE_REGEXP', 'CANNOT_PARSE_TEXT', 'CANNOT_PARSE_ESCAPE_SEQUENCE', 'CANNOT_PARSE_QUOTED_STRING',
    'CANNOT_PARSE_DATE', 'CANNOT_PARSE_DATETIME', 'CANNOT_PARSE_NUMBER', 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING', 'CANNOT_PARSE_IPV4',
    'CANNOT_PARSE_IPV6', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'CANNOT_PARSE_UUID', 'DUPLICATE_COLUMN', 'ILLEGAL_COLUMN',
    'UNKNOWN_ELEMENT_IN_AST', 'UNKNOWN_TYPE_OF_AST_NODE', 'TOO_DEEP_AST', 'TOO_BIG_AST', 'UNEXPECTED_AST_STRUCTURE', 'SYNTAX_ERROR',
    'INCORRECT_DATA', 'TYPE_MISMATCH', 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  ].map((name): [string, number] => [name, 400]),
  ...[
    'UNKNOWN_TABLE', 'UNKNOWN_FUNCTION', 'UNKNOWN_IDENTIFIER', 'UNKNOWN_TYPE', 'UNKNOWN_STORAGE', 'UNKNOWN_DATABASE', 'UNKNOWN_SETTING',
    'UNKNOWN_DIRECTION_OF_SORTING', 'UNKNOWN_AGGREGATE_FUNCTION', 'UNKNOWN_FORMAT', 'UNKNOWN_DATABASE_ENGINE', 'UNKNOWN_TYPE_OF_QUERY', 'UNKNOWN_ROLE',
  ].map((name): [string, number] => [name, 404]),
  ['QUERY_IS_TOO_LARGE', 413],
  ['NOT_IMPLEMENTED', 501],
  ['SOCKET_TIMEOUT', 503],
  ['CANNOT_OPEN_FILE', 503],
  ['HTTP_LENGTH_REQUIRED', 411],
  ['TIMEOUT_EXCEEDED', 408],
]);

/** The server's mapping of exceptions to HTTP statuses (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp). */
export function httpStatusOf(error: ClickHouseException): number {
  return STATUS_BY_NAME[error.codeName] ?? 500;
}

/** The body the server writes for an exception before any result was sent. */
export function exceptionBody(error: ClickHouseException, version: string): string {
  return `Code: ${error.code}. DB::Exception: ${error.message}. (${error.codeName}) (version ${version} (official build))\n`;
}
