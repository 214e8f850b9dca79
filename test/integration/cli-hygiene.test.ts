import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../pipeline/config/project-root.js';
import { generateKeys } from '../../pipeline/pii/keys.js';
import { runCli } from '../helpers/cli.js';
import { testEnv } from '../helpers/services.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const oneLine = /^piccha: [^\n]+\n$/;

describe('CLI hygiene: every failure is one line starting with piccha:', () => {
  const state = makeTempDir('cli-hygiene');
  afterAll(() => state.remove());

  it('unknown options and commands, a missing argument or subcommand: one line, no help dump, exit 1', async () => {
    const cases: [string[], string][] = [
      [['generate', '--bogus'], "piccha: unknown option '--bogus'; see `piccha generate --help`\n"],
      [['nope'], "piccha: unknown command 'nope'; see `piccha --help`\n"],
      [['lod'], "piccha: unknown command 'lod' (Did you mean load?); see `piccha --help`\n"],
      [[], 'piccha: a command is needed; see `piccha --help`\n'],
      [['services'], 'piccha: services needs a command; see `piccha services --help`\n'],
      [['load'], "piccha: missing required argument 'dir'; see `piccha load --help`\n"],
      [['sql', 'SELECT 1', '--format', 'xml'], "piccha: option '-f, --format <format>' argument 'xml' is invalid. Allowed choices are table, json, tsv; see `piccha sql --help`\n"],
      [['services', 'up', '--bogus'], "piccha: unknown option '--bogus'; see `piccha services up --help`\n"],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { PICCHA_STATE_DIR: state.path })));
    cases.forEach(([args, message], index) => {
      expect(results[index]?.stderr, args.join(' ')).toBe(message);
      expect(results[index]?.stdout, args.join(' ')).toBe('');
      expect(results[index]?.code, args.join(' ')).toBe(1);
    });
  }, 120_000);

  it('a server that accepts connections but never answers: given up after 10 s, and the line says so truthfully', async () => {
    const silent = await silentServer();
    const port = silent.port;
    const dir = makeTempDir('cli-hygiene-load');
    try {
      const started = Date.now();
      const result = await runCli(['load', dir.path], { PICCHA_STATE_DIR: state.path, MONGO_URL: `mongodb://127.0.0.1:${port}/` });
      const seconds = (Date.now() - started) / 1000;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(oneLine);
      const reported = Number(/^piccha: cannot reach MongoDB at 127\.0\.0\.1:\d+ \(MONGO_URL\): .*; gave up after (\d+) s\n$/.exec(result.stderr)?.[1]);
      expect(reported).toBeGreaterThanOrEqual(10);
      // The driver's own 30 s socket timeout no longer holds the command: what it says is what happened.
      expect(reported).toBeLessThan(15);
      expect(seconds).toBeLessThan(reported + 15);
    } finally {
      silent.close();
      dir.remove();
    }
  }, 120_000);

  /** A TCP server that accepts connections and never answers; `connected` resolves at the first one. */
  async function silentServer(): Promise<{ port: number; connected: Promise<void>; close: () => void }> {
    const sockets: Socket[] = [];
    let onConnection = () => undefined as void;
    const connected = new Promise<void>((resolve) => (onConnection = resolve));
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      onConnection();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      port: (server.address() as { port: number }).port,
      connected,
      close: () => {
        for (const socket of sockets) socket.destroy();
        server.close();
      },
    };
  }

  function startProduce(extra: Record<string, string>) {
    const keys = generateKeys();
    const prefix = `h${randomUUID().slice(0, 8)}`;
    const env = { ...process.env, ...testEnv({ PICCHA_PII_KEYS: `${keys.keyId}:${keys.key}`, PICCHA_PII_INDEX_KEY: keys.indexKey, PICCHA_TOPIC_PREFIX: prefix, MONGO_DB: `hygiene_${prefix}`, PICCHA_LOG_LEVEL: 'silent', ...extra }) };
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot(), 'pipeline/cli/main.ts'), 'produce', '--follow', '--poll-ms', '200'], { cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, stderr: () => stderr };
  }

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('`produce --follow` stops cleanly on SIGINT while following', async () => {
    const run = startProduce({});
    // Following: the snapshot of the empty database is done and the producer polls.
    await pause(15_000);
    expect(run.child.exitCode).toBeNull();
    const interrupted = Date.now();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect((Date.now() - interrupted) / 1000).toBeLessThan(6);
    expect(run.stderr()).not.toMatch(/^piccha:/m);
  }, 120_000);

  it('`produce --follow` stuck on a broker that never answers: exits 3 s after SIGINT, saying so; a second SIGINT at once', async () => {
    for (const signals of [1, 2]) {
      const broker = await silentServer();
      try {
        const run = startProduce({ KAFKA_BROKERS: `127.0.0.1:${broker.port}` });
        // The producer is connecting to the broker (and waits for its answer up to kafkajs' 30 s request timeout).
        await broker.connected;
        await pause(500);
        expect(run.child.exitCode, run.stderr()).toBeNull();
        const interrupted = Date.now();
        run.child.kill('SIGINT');
        if (signals === 2) {
          await pause(300);
          run.child.kill('SIGINT');
        }
        expect(await run.exited, run.stderr()).toBe(130);
        const seconds = (Date.now() - interrupted) / 1000;
        expect(seconds).toBeLessThan(signals === 2 ? 2.5 : 6);
        expect(run.stderr()).toMatch(signals === 2 ? /^piccha: produce interrupted: SIGINT again; exiting without a clean stop\n$/m : /^piccha: produce interrupted: not stopped 3 s after SIGINT; exiting without a clean stop\n$/m);
      } finally {
        broker.close();
      }
    }
  }, 120_000);
});
