/**
 * The local ClickHouse service: the embedded engine on one data directory, behind ClickHouse's
 * HTTP interface on 127.0.0.1. Started by `piccha services up`; SIGTERM shuts it down cleanly.
 */
import { parseArgs } from 'node:util';
import { LOOPBACK } from '../ports.js';
import { Engine } from './engine.js';
import { HttpInterface } from './http-interface.js';
import { servicePassword } from './password.js';

// Statements run on libuv's threads, one each while they run: room for the permits below plus file work.
const MAX_CONCURRENT_STATEMENTS = 16;

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    run: { type: 'string' },
    port: { type: 'string' },
    'password-file': { type: 'string' },
  },
});
const { data, run, port, 'password-file': passwordFile } = values;
if (data === undefined || run === undefined || port === undefined || passwordFile === undefined) {
  process.stderr.write('usage: server-main --data <dir> --run <dir> --port <n> --password-file <path>\n');
  process.exit(2);
}

const log = (message: string) => process.stdout.write(`${new Date().toISOString()} ${message}\n`);

const engine = await Engine.open(data, run, MAX_CONCURRENT_STATEMENTS);
const http = new HttpInterface({ engine, user: 'default', password: servicePassword(passwordFile), displayName: 'piccha-local' });
// As a ClickHouse server: idle keep-alive connections live 30 s (clients keep theirs for less), and an INSERT
// may stream its body for as long as it takes, where Node would cut any request off after 300 s.
http.server.keepAliveTimeout = 30_000;
http.server.requestTimeout = 0;
http.server.listen({ host: LOOPBACK, port: Number(port), exclusive: true }, () => {
  log(`ClickHouse ${engine.version} (embedded) on ${data}, HTTP on ${LOOPBACK}:${port}`);
});
http.server.on('error', (error) => {
  log(`HTTP server failed: ${error.message}`);
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: closing`);
  // New connections are refused and idle ones closed; requests in progress finish, then the engine closes its parts.
  const closing = new Promise<void>((resolve) => http.server.close(() => resolve()));
  const impatient = setTimeout(() => http.server.closeAllConnections(), 20_000);
  await closing;
  clearTimeout(impatient);
  await engine.close();
  log('closed');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
