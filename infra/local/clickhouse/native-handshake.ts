/**
 * clickhouse-go's handshake over HTTP (Grafana's ClickHouse plugin uses that driver). The driver
 * sends `client_protocol_version` and asks `SELECT displayName(), version(), revision(), timezone()`
 * in Native, decodes that one block at its own protocol version (BlockInfo, then a
 * custom-serialization flag per column), and decodes every later block at the `revision()` it
 * got back. The engine writes Native at protocol 0 only (neither of those parts), so the
 * handshake is answered here, encoded at the client's version, with revision 0: the driver then
 * reads the engine's blocks exactly as they are written.
 */

/** The first protocol version whose Native blocks carry a custom-serialization flag per column (ClickHouse's Protocol.h). */
const WITH_CUSTOM_SERIALIZATION = 54454;

/** The statement clickhouse-go's dialHttp sends (conn_http.go, queryHello), compared without case or spacing. */
const HANDSHAKE = normalized('SELECT displayName(), version(), revision(), timezone()');

function normalized(sql: string): string {
  return sql.replace(/;\s*$/, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** True for the driver's handshake query when the client reads Native blocks at a protocol version above 0. */
export function isDriverHandshake(sql: string, format: string, clientProtocolVersion: number): boolean {
  return clientProtocolVersion > 0 && format === 'Native' && normalized(sql) === HANDSHAKE;
}

export interface HandshakeAnswer {
  readonly displayName: string;
  readonly version: string;
  readonly timezone: string;
}

function varUInt(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function text(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([varUInt(bytes.length), bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
}

/**
 * The one-row block a server writes for the handshake at `clientProtocolVersion`
 * (NativeWriter): BlockInfo, the column and row counts, then per column its name, its type,
 * the custom-serialization flag (0) and its value.
 */
export function handshakeBlock(answer: HandshakeAnswer, clientProtocolVersion: number): Buffer {
  // BlockInfo: field 1 is_overflows = false, field 2 bucket_num = -1, field 0 ends it.
  const blockInfo = Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]);
  const columns: [name: string, type: string, value: Buffer][] = [
    ['displayName()', 'String', text(answer.displayName)],
    ['version()', 'String', text(answer.version)],
    ['revision()', 'UInt32', uint32(0)],
    ['timezone()', 'String', text(answer.timezone)],
  ];
  const serializationFlag = clientProtocolVersion >= WITH_CUSTOM_SERIALIZATION ? Buffer.from([0]) : Buffer.alloc(0);
  return Buffer.concat([
    blockInfo,
    varUInt(columns.length),
    varUInt(1),
    ...columns.flatMap(([name, type, value]) => [text(name), text(type), serializationFlag, value]),
  ]);
}
