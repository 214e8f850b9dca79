import { randomBytes, randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseServiceOptions } from '../helpers/services.js';

/** What the local ClickHouse service must speak, checked with @clickhouse/client itself (and plain HTTP where the client hides it). */
describe('ClickHouse service: the HTTP interface', () => {
  const service = clickhouseServiceOptions();
  const db = `http_${randomBytes(4).toString('hex')}`;
  let client: ClickHouseClient;
  const post = (query: string, init: { params?: Record<string, string>; headers?: Record<string, string>; body?: string | Buffer } = {}) => {
    const url = new URL(service.url);
    for (const [name, value] of Object.entries(init.params ?? {})) url.searchParams.set(name, value);
    if (query !== '') url.searchParams.set('query', query);
    return fetch(url, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`default:${service.password}`).toString('base64')}`, ...init.headers },
      body: init.body ?? '',
    });
  };

  beforeAll(async () => {
    client = createClient(service);
    await client.command({ query: `CREATE DATABASE ${db}` });
    await client.command({
      query: `CREATE TABLE ${db}.purchases (purchase_id String, store_id String, amount Decimal(12, 2), purchased_at DateTime64(3, 'UTC'), items Array(String))
              ENGINE = MergeTree ORDER BY purchase_id`,
    });
  });
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await client.close();
  });

  it('answers /ping and a GET of / as a server does', async () => {
    expect((await client.ping()).success).toBe(true);
    const response = await fetch(`${service.url}/ping`);
    expect([response.status, await response.text()]).toEqual([200, 'Ok.\n']);
  });

  it('binds param_<name> to {name:Type} with the declared types, and never as SQL', async () => {
    const result = await client.query({
      query: 'SELECT {s:String} AS s, {n:UInt64} AS n, {a:Array(String)} AS a, {t:DateTime64(3, \'UTC\')} AS t, {z:Nullable(String)} AS z',
      query_params: { s: "O'Brien\t; DROP TABLE x --", n: '18446744073709551615', a: ['б', "'"], t: '2026-11-01 10:15:30.123', z: null },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    expect(await result.json()).toEqual([{ s: "O'Brien\t; DROP TABLE x --", n: '18446744073709551615', a: ['б', "'"], t: '2026-11-01 10:15:30.123', z: null }]);
  });

  it('takes the query from the body, from ?query=, or both (parameter, newline, body)', async () => {
    expect(await (await post('', { body: 'SELECT 1 + 1' })).text()).toBe('2\n');
    expect(await (await post('SELECT 2 + 2')).text()).toBe('4\n');
    expect(await (await post('SELECT 3 +', { body: '3' })).text()).toBe('6\n');
  });

  it('applies URL settings to that request only, and refuses an unknown one as the server does', async () => {
    const one = await client.query({ query: "SELECT getSetting('max_threads') AS m", format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 } });
    expect(await one.json()).toEqual([{ m: 1 }]);
    const other = await client.query({ query: "SELECT getSetting('max_threads') = 1 AS same", format: 'JSONEachRow' });
    expect(await other.json()).toEqual([{ same: 0 }]);
    const unknown = await post('SELECT 1', { params: { no_such_setting: '1' } });
    expect([unknown.status, unknown.headers.get('x-clickhouse-exception-code')]).toEqual([404, '115']);
  });

  it('uses the database parameter for unqualified names', async () => {
    const scoped = createClient({ ...service, database: db });
    try {
      expect(await (await scoped.query({ query: 'SELECT currentDatabase() AS d, count() AS n FROM purchases', format: 'JSONEachRow' })).json()).toEqual([{ d: db, n: 0 }]);
    } finally {
      await scoped.close();
    }
  });

  it('honours the FORMAT clause and default_format, TabSeparated otherwise, and names the format in a header', async () => {
    const clause = await post('', { body: 'SELECT 1 AS a, \'x\' AS b FORMAT JSONEachRow' });
    expect([await clause.text(), clause.headers.get('x-clickhouse-format')]).toEqual(['{"a":1,"b":"x"}\n', 'JSONEachRow']);
    const byDefault = await post('SELECT 1 AS a, \'x\' AS b', { params: { default_format: 'CSVWithNames' } });
    expect([await byDefault.text(), byDefault.headers.get('x-clickhouse-format')]).toEqual(['"a","b"\n1,"x"\n', 'CSVWithNames']);
    const plain = await post('SELECT 1 AS a, \'x\' AS b');
    expect([await plain.text(), plain.headers.get('x-clickhouse-format')]).toEqual(['1\tx\n', 'TabSeparated']);
    const ddl = await post(`CREATE TABLE ${db}.no_output (x UInt8) ENGINE = Memory`);
    expect([ddl.status, ddl.headers.get('x-clickhouse-format'), await ddl.text()]).toEqual([200, null, '']);
  });

  it('echoes query_id, and returns X-ClickHouse-Summary and the display name', async () => {
    const queryId = randomUUID();
    const result = await client.query({ query: 'SELECT 1', query_id: queryId, format: 'JSONEachRow' });
    expect(result.query_id).toBe(queryId);
    result.close();
    const response = await post('SELECT number FROM system.numbers LIMIT 10', { params: { query_id: 'mine-1' } });
    expect(response.headers.get('x-clickhouse-query-id')).toBe('mine-1');
    expect(response.headers.get('x-clickhouse-server-display-name')).toBeTruthy();
    expect(JSON.parse(response.headers.get('x-clickhouse-summary') ?? '{}')).toMatchObject({ read_rows: '10' });
  });

  it('inserts JSONEachRow with the rows streamed in the body, and refuses a bad row with the typed error', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ purchase_id: `ord-${i}`, store_id: `st-${i % 45}`, amount: (i % 1000) / 4, purchased_at: '2026-11-01 10:00:00.000', items: [`prd-${i}`] }));
    await client.insert({ table: `${db}.purchases`, values: Readable.from(rows, { objectMode: true }), format: 'JSONEachRow' });
    const [summary] = await (await client.query({ query: `SELECT count() AS n, sum(amount) AS total FROM ${db}.purchases`, format: 'JSONEachRow' })).json<{ n: number; total: number }>();
    expect(summary).toEqual({ n: rows.length, total: rows.reduce((sum, row) => sum + row.amount, 0) });
    const bad = client.insert({ table: `${db}.purchases`, values: [{ purchase_id: 'ord-bad', amount: 'not a number' }], format: 'JSONEachRow' });
    await expect(bad).rejects.toBeInstanceOf(ClickHouseError);
    await expect(bad).rejects.toMatchObject({ code: '27' });
    // Worded as a server words it: how the data reached the engine is not the client's business.
    expect(((await bad.catch((error: unknown) => error)) as Error).message).not.toMatch(/fifo|INFILE|parsed from file/i);
  });

  it('reads and writes with HTTP compression as @clickhouse/client uses it', async () => {
    const compressed = createClient({ ...service, compression: { request: true, response: true } });
    try {
      await compressed.insert({ table: `${db}.purchases`, values: [{ purchase_id: 'ord-gz', store_id: 'st-1', amount: 1.5, purchased_at: '2026-11-02 00:00:00', items: [] }], format: 'JSONEachRow' });
      const result = await compressed.query({ query: `SELECT purchase_id, amount FROM ${db}.purchases WHERE purchase_id = 'ord-gz'`, format: 'JSONEachRow' });
      expect(await result.json()).toEqual([{ purchase_id: 'ord-gz', amount: 1.5 }]);
    } finally {
      await compressed.close();
    }
    const gzipped = await post('', { headers: { 'Content-Encoding': 'gzip' }, body: gzipSync('SELECT \'ungzipped\'') });
    expect(await gzipped.text()).toBe('ungzipped\n');
  });

  it('accepts Basic auth, X-ClickHouse-User/Key and URL credentials; refuses a wrong or missing password with code 516', async () => {
    const byHeaders = await fetch(`${service.url}/?query=SELECT+currentUser()`, { headers: { 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': service.password } });
    expect(await byHeaders.text()).toBe('default\n');
    const byUrl = await fetch(`${service.url}/?user=default&password=${encodeURIComponent(service.password)}&query=SELECT+1`);
    expect(byUrl.status).toBe(200);
    for (const password of ['wrong', '']) {
      const stranger = createClient({ ...service, password });
      try {
        await expect(stranger.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
      } finally {
        await stranger.close();
      }
    }
    const anonymous = await fetch(`${service.url}/?query=SELECT+1`);
    expect([anonymous.status, anonymous.headers.get('x-clickhouse-exception-code')]).toEqual([403, '516']);
    expect(await anonymous.text()).not.toContain(service.password);
  });

  it('reports errors as a server does: status, X-ClickHouse-Exception-Code and a Code: N. DB::Exception body, raised by the client as its typed error', async () => {
    await expect(client.query({ query: `SELECT * FROM ${db}.no_such_table` })).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    await expect(client.command({ query: 'SELEC 1' })).rejects.toMatchObject({ code: '62', type: 'SYNTAX_ERROR' });
    const response = await post('', { body: 'SELECT 1; SELECT 2' });
    expect([response.status, response.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
    expect(await response.text()).toMatch(/^Code: 62\. DB::Exception: Syntax error \(Multi-statements are not allowed\)\. \(SYNTAX_ERROR\) \(version \d+\.\d+/);
    const readonly = await fetch(`${service.url}/?query=${encodeURIComponent(`CREATE TABLE ${db}.by_get (x UInt8) ENGINE = Memory`)}`, { headers: { 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': service.password } });
    expect(readonly.status).toBe(500);
    expect(readonly.headers.get('x-clickhouse-exception-code')).toBe('164');
  });

  it('refuses an INSERT into a missing table before reading its large body, and keeps serving', async () => {
    const body = '{"id":1,"note":"a row that will never be read"}\n'.repeat(100_000);
    const refused = await post(`INSERT INTO ${db}.missing FORMAT JSONEachRow`, { body });
    expect([refused.status, refused.headers.get('x-clickhouse-exception-code')]).toEqual([404, '60']);
    await refused.text();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await (await client.query({ query: 'SELECT 42 AS answer', format: 'JSONEachRow' })).json()).toEqual([{ answer: 42 }]);
  });

  it('listens on the loopback address only', async () => {
    const port = Number(new URL(service.url).port);
    const external = Object.values(networkInterfaces()).flat().find((address) => address?.family === 'IPv4' && !address.internal)?.address;
    expect(new URL(service.url).hostname).toBe('127.0.0.1');
    if (external === undefined) return;
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: external, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(outcome).toBe('ECONNREFUSED');
  });
});
