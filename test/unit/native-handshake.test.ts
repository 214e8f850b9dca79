import { describe, expect, it } from 'vitest';
import { handshakeBlock, isDriverHandshake } from '../../infra/local/clickhouse/native-handshake.js';

/** A String in Native: its length as one byte (all below 128 here), then its bytes. */
const str = (text: string) => [text.length, ...Buffer.from(text)];
const column = (name: string, type: string, flag: number[], value: number[]) => [...str(name), ...str(type), ...flag, ...value];

describe("clickhouse-go's handshake over HTTP", () => {
  it('is the driver’s hello query in Native at a protocol version above 0, however it is spaced', () => {
    expect(isDriverHandshake('SELECT displayName(), version(), revision(), timezone()', 'Native', 54460)).toBe(true);
    expect(isDriverHandshake('  select displayName(),\n version(), revision(),  timezone() ;', 'Native', 54460)).toBe(true);
    expect(isDriverHandshake('SELECT displayName(), version(), revision(), timezone()', 'TabSeparated', 54460)).toBe(false);
    expect(isDriverHandshake('SELECT displayName(), version(), revision(), timezone()', 'Native', 0)).toBe(false);
    expect(isDriverHandshake('SELECT displayName(), version(), revision()', 'Native', 54460)).toBe(false);
  });

  const answer = { displayName: 'piccha-local', version: '26.7.2.1', timezone: 'Europe/Moscow' };
  const columns = (flag: number[]) => [
    ...column('displayName()', 'String', flag, str('piccha-local')),
    ...column('version()', 'String', flag, str('26.7.2.1')),
    ...column('revision()', 'UInt32', flag, [0, 0, 0, 0]),
    ...column('timezone()', 'String', flag, str('Europe/Moscow')),
  ];

  it('answers at the client’s version: BlockInfo, 4 columns, 1 row, a custom-serialization flag per column from 54454 on, revision 0', () => {
    const blockInfo = [0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00];
    expect([...handshakeBlock(answer, 54460)]).toEqual([...blockInfo, 4, 1, ...columns([0])]);
    expect([...handshakeBlock(answer, 54405)]).toEqual([...blockInfo, 4, 1, ...columns([])]);
  });
});
