import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { constants as zlib, createBrotliCompress, createBrotliDecompress, createGunzip, createGzip, createDeflate, createInflate } from 'node:zlib';
import { CompressedFramesDecoder, compressedFrames } from './block-compression.js';
import type { Engine, RequestContext, Result } from './engine.js';
import { ClickHouseException, exception, exceptionBody, fromEngineError, httpStatusOf } from './exceptions.js';
import { handshakeBlock, isDriverHandshake } from './native-handshake.js';
import { scanStatement, SqlScanError, type ScannedStatement } from './sql-scan.js';

/** URL parameters the server reads itself; every other one (but `param_*`) is a setting. */
const RESERVED = new Set([
  'query', 'compress', 'decompress', 'user', 'password', 'quota_key', 'query_id', 'stacktrace', 'role', 'buffer_size', 'wait_end_of_query',
  'session_id', 'session_timeout', 'session_check', 'client_protocol_version', 'close_session', 'database', 'default_format',
]);

const DEFAULT_MAX_QUERY_SIZE = 262_144;

export interface HttpInterfaceOptions {
  readonly engine: Engine;
  readonly user: string;
  readonly password: string;
  readonly displayName: string;
}

class Credentials {
  constructor(
    readonly user: string,
    readonly password: string,
  ) {}
}

function credentialsOf(request: IncomingMessage, url: URL): Credentials {
  const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const headerUser = request.headers['x-clickhouse-user'];
  const inUrl = url.searchParams.has('user') || url.searchParams.has('password');
  const ways = [basic !== undefined, headerUser !== undefined, inUrl].filter(Boolean).length;
  if (ways > 1) throw exception('AUTHENTICATION_FAILED', 'Invalid authentication: it is not allowed to use more than one authentication method at a time');
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? new Credentials(decoded, '') : new Credentials(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
  if (headerUser !== undefined) return new Credentials(String(headerUser), String(request.headers['x-clickhouse-key'] ?? ''));
  return new Credentials(url.searchParams.get('user') ?? 'default', url.searchParams.get('password') ?? '');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function through(source: Readable, decoder: NodeJS.ReadWriteStream): Readable {
  const stream = decoder as unknown as Readable;
  source.on('error', (error) => stream.destroy(error));
  source.pipe(decoder);
  return stream;
}

/** The request body as sent, undone of any Content-Encoding, then of ClickHouse's compressed frames with `decompress=1`. */
function decodedBody(request: IncomingMessage, framed: boolean): Readable {
  const encoding = (request.headers['content-encoding'] ?? '').toLowerCase().trim();
  const decoders: Record<string, () => NodeJS.ReadWriteStream> = { gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress };
  const decoder = encoding === '' || encoding === 'identity' ? undefined : decoders[encoding];
  if (encoding !== '' && encoding !== 'identity' && !decoder) {
    throw exception('UNKNOWN_COMPRESSION_METHOD', `Unknown HTTP compression method ${encoding}; this server decodes gzip, deflate and br`);
  }
  const body = decoder ? through(request, decoder()) : request;
  return framed ? through(body, new CompressedFramesDecoder()) : body;
}

/** Statement text was scanned byte for byte (latin1); the engine gets it as the UTF-8 it was. */
const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

function decoded(statement: ScannedStatement): ScannedStatement {
  return statement.kind === 'insert' ? { ...statement, target: utf8(statement.target), settings: utf8(statement.settings) } : { ...statement, sql: utf8(statement.sql) };
}

/** The next chunk of a paused stream, or null at its end; the stream stays paused, so the rest can still be piped. */
function nextChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const settle = (done: () => void) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      done();
    };
    const onReadable = () => {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) settle(() => resolve(chunk));
    };
    const onEnd = () => settle(() => resolve(null));
    const onError = (error: Error) => settle(() => reject(error));
    if (stream.readableEnded) {
      resolve(null);
      return;
    }
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/**
 * Reads the statement: the `query` parameter, a newline, then the body. An INSERT stops at
 * the start of its data, which is left unread in `body`.
 */
async function readStatement(engine: Engine, urlQuery: string | null, body: Readable, maxSize: number): Promise<ScannedStatement> {
  let text = urlQuery === null || urlQuery === '' ? '' : `${urlQuery}\n`;
  const isFormat = (name: string) => engine.isFormat(name);
  for (;;) {
    const found = scanStatement(text, false, isFormat);
    if (found?.kind === 'insert') {
      const rest = text.slice(found.dataStart);
      if (rest !== '') body.unshift(Buffer.from(rest, 'latin1'));
      return decoded(found);
    }
    if (text.length > maxSize) throw exception('QUERY_IS_TOO_LARGE', `Max query size exceeded: the query is over ${maxSize} bytes (max_query_size)`);
    const chunk = await nextChunk(body);
    if (chunk === null) break;
    text += chunk.toString('latin1');
  }
  const statement = text.trim() === '' ? undefined : scanStatement(text, true, isFormat);
  if (statement === undefined) throw exception('SYNTAX_ERROR', 'Empty query');
  return decoded(statement);
}

function contentTypeOf(format: string): string {
  if (/^(JSON|JSONCompact|JSONStrings|JSONColumns|JSONObjectEachRow)$/.test(format)) return 'application/json; charset=UTF-8';
  if (/^(Native|RowBinary|Parquet|Arrow|ArrowStream|ORC|Avro|Protobuf|MsgPack|BSONEachRow|CapnProto|Npy|RawBLOB)/.test(format)) return 'application/octet-stream';
  if (/^CSV/.test(format)) return 'text/csv; charset=UTF-8; header=absent';
  if (/^(TSV|TabSeparated)/.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  return 'text/plain; charset=UTF-8';
}

function summaryOf(result: Result | undefined, written: boolean): string {
  const rows = String(result?.rowsRead ?? 0);
  const bytes = String(result?.bytesRead ?? 0);
  return JSON.stringify({
    read_rows: rows,
    read_bytes: bytes,
    written_rows: written ? rows : '0',
    written_bytes: written ? bytes : '0',
    total_rows_to_read: '0',
    result_rows: '0',
    result_bytes: '0',
    elapsed_ns: String(Math.round((result?.elapsedSeconds ?? 0) * 1e9)),
  });
}

/** The response encoding the client accepts and asked for with enable_http_compression=1. */
function responseEncoding(request: IncomingMessage, settings: Readonly<Record<string, string>>): 'gzip' | 'deflate' | 'br' | undefined {
  if (settings.enable_http_compression !== '1' && settings.enable_http_compression !== 'true') return undefined;
  const accepted = (request.headers['accept-encoding'] ?? '').toLowerCase().split(',').map((part) => part.split(';')[0]?.trim());
  return accepted.find((name): name is 'gzip' | 'deflate' | 'br' => name === 'gzip' || name === 'deflate' || name === 'br');
}

function compressor(encoding: 'gzip' | 'deflate' | 'br'): NodeJS.ReadWriteStream {
  if (encoding === 'gzip') return createGzip({ level: 3 });
  if (encoding === 'deflate') return createDeflate({ level: 3 });
  return createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } });
}

/** ClickHouse's HTTP interface over the embedded engine: what clients of a real server send, answered the same way. */
export class HttpInterface {
  readonly server: Server;

  constructor(private readonly options: HttpInterfaceOptions) {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => this.fail(response, fromEngineError(error), undefined));
    });
  }

  private commonHeaders(response: ServerResponse, queryId: string | undefined): void {
    response.setHeader('X-ClickHouse-Server-Display-Name', this.options.displayName);
    if (queryId !== undefined) response.setHeader('X-ClickHouse-Query-Id', queryId);
    response.setHeader('X-ClickHouse-Timezone', this.options.engine.timezone);
  }

  /**
   * Reports `error` as the server does. With compress=1 its text goes in compressed frames, as the
   * server writes it through the same compressing buffer as a result (clickhouse-go reads it so),
   * except for a refused login, which comes before that buffer exists (the JDBC driver reads a
   * 401/403 body as plain text).
   */
  private fail(response: ServerResponse, error: ClickHouseException, queryId: string | undefined, framed = false): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    this.commonHeaders(response, queryId);
    const status = httpStatusOf(error);
    response.statusCode = status;
    response.setHeader('X-ClickHouse-Exception-Code', String(error.code));
    response.setHeader('Content-Type', 'text/plain; charset=UTF-8');
    if (error.codeName === 'REQUIRED_PASSWORD') response.setHeader('WWW-Authenticate', 'Basic realm="ClickHouse server HTTP API"');
    const body = Buffer.from(exceptionBody(error, this.options.engine.version));
    response.end(framed && status !== 401 && status !== 403 ? compressedFrames(body) : body);
  }

  /**
   * The handshake's answer. The time zone comes from the engine under the request's settings and
   * database, so that `session_timezone` is honoured and a bad setting or database fails here, as
   * on a server, not at the first query.
   */
  private async handshake(context: RequestContext, clientProtocolVersion: number): Promise<Result> {
    const asked = await this.options.engine.run(context, 'SELECT timezone()', 'TabSeparated');
    const timezone = Buffer.from(asked.bytes).toString('utf8').trim();
    const answer = { displayName: this.options.displayName, version: this.options.engine.version, timezone };
    return { ...asked, bytes: handshakeBlock(answer, clientProtocolVersion) };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const urlQuery = url.searchParams.get('query');
    if (url.pathname === '/ping' || url.pathname === '/replicas_status' || (url.pathname === '/' && request.method !== 'POST' && urlQuery === null)) {
      request.resume();
      response.setHeader('Content-Type', 'text/plain; charset=UTF-8');
      response.end('Ok.\n');
      return;
    }
    const queryId = url.searchParams.get('query_id') || String(request.headers['x-clickhouse-query-id'] ?? '') || randomUUID();
    let body: Readable | undefined;
    try {
      if (url.pathname !== '/') throw exception('BAD_ARGUMENTS', `There is no handler for ${url.pathname}`);
      const credentials = credentialsOf(request, url);
      if (!sameText(credentials.user, this.options.user) || !sameText(credentials.password, this.options.password)) {
        throw exception('AUTHENTICATION_FAILED', `${credentials.user}: Authentication failed: password is incorrect, or there is no user with such name`);
      }
      if ((request.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
        throw exception('NOT_IMPLEMENTED', 'multipart/form-data requests are not served here; send parameters as param_<name> URL parameters');
      }
      const settings: Record<string, string> = {};
      const params: Record<string, string> = {};
      for (const [name, value] of url.searchParams) {
        if (name.startsWith('param_')) params[name.slice('param_'.length)] = value;
        else if (!RESERVED.has(name)) settings[name] = value;
      }
      const context: RequestContext = {
        settings,
        params,
        database: String(request.headers['x-clickhouse-database'] ?? '') || url.searchParams.get('database') || undefined,
        readonly: request.method !== 'POST',
      };
      const maxQuerySize = Number(settings.max_query_size ?? DEFAULT_MAX_QUERY_SIZE) || DEFAULT_MAX_QUERY_SIZE;
      const decoded = decodedBody(request, url.searchParams.get('decompress') === '1');
      body = decoded;
      // Its failures are seen where the body is read; one that comes after the answer (the rest of a refused body) is no one's.
      decoded.on('error', () => undefined);
      request.on('error', () => undefined);
      // A client that goes away mid-body must cancel an INSERT, not end its data early.
      request.on('close', () => {
        if (!request.complete) decoded.destroy(new Error('the client closed the connection before the end of the request'));
      });
      const statement = await readStatement(this.options.engine, urlQuery, decoded, maxQuerySize).catch((error: unknown) => {
        throw error instanceof SqlScanError ? exception('SYNTAX_ERROR', error.message) : error;
      });
      if (statement.kind === 'insert') {
        if (context.readonly) throw exception('BAD_ARGUMENTS', 'Cannot execute an INSERT in readonly mode: send it with POST');
        const result = await this.options.engine.insert(context, statement, decoded);
        this.commonHeaders(response, queryId);
        response.setHeader('X-ClickHouse-Summary', summaryOf(result, true));
        response.setHeader('Content-Type', 'text/plain; charset=UTF-8');
        response.end();
        return;
      }
      const format = statement.format ?? (String(request.headers['x-clickhouse-format'] ?? '') || url.searchParams.get('default_format') || 'TabSeparated');
      if (!this.options.engine.isFormat(format)) throw new ClickHouseException(73, 'UNKNOWN_FORMAT', `Unknown output format ${format}`);
      const clientProtocolVersion = Number(url.searchParams.get('client_protocol_version') ?? 0) || 0;
      const result = isDriverHandshake(statement.sql, format, clientProtocolVersion)
        ? await this.handshake(context, clientProtocolVersion)
        : await this.options.engine.run(context, statement.sql, format);
      this.commonHeaders(response, queryId);
      if (statement.returnsRows) {
        response.setHeader('X-ClickHouse-Format', format);
        response.setHeader('Content-Type', contentTypeOf(format));
      } else response.setHeader('Content-Type', 'text/plain; charset=UTF-8');
      response.setHeader('X-ClickHouse-Summary', summaryOf(result, false));
      // compress=1: the result in ClickHouse's compressed frames (no header says so), under any HTTP encoding.
      const bytes = url.searchParams.get('compress') === '1' ? compressedFrames(result.bytes) : result.bytes;
      const encoding = responseEncoding(request, settings);
      if (encoding === undefined || bytes.length === 0) {
        response.end(bytes);
        return;
      }
      response.setHeader('Content-Encoding', encoding);
      const compressing = compressor(encoding);
      compressing.pipe(response);
      compressing.end(bytes);
    } catch (error) {
      // The rest of a refused body is read and dropped, so that the client, still sending, gets this answer.
      body?.resume();
      request.resume();
      this.fail(response, fromEngineError(error), queryId, url.searchParams.get('compress') === '1');
    }
  }
}
