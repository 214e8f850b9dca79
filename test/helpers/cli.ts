import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../pipeline/config/project-root.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The variables the CLI reads, cleared so that a developer's shell cannot change a test's outcome. */
const CLEARED = ['PICCHA_STATE_DIR', 'PICCHA_LOG_LEVEL', 'MONGO_URL', 'MONGO_DB', 'KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DATABASE', 'CLICKHOUSE_DATA_PATH', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID', 'TELEGRAM_API_URL', 'PICCHA_GRAFANA_URL'];

/** Runs `piccha` from the sources, as a separate process, the way a user runs it. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = { ...process.env };
  for (const name of CLEARED) delete base[name];
  const root = projectRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'pipeline/cli/main.ts'), ...args], {
      cwd: root,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
