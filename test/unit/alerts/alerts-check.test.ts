import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { duplicatesRule } from '../../../dashboards/alerting/rules.js';
import { runCheck, type Notifier } from '../../../pipeline/alerts/check.js';
import { printingNotifier } from '../../../pipeline/alerts/notifiers.js';
import { AlertStateFile } from '../../../pipeline/alerts/state.js';
import { TelegramClient, TelegramError } from '../../../pipeline/alerts/telegram.js';
import { EmbeddedClickHouse } from '../../../pipeline/clickhouse/embedded.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../../pipeline/clickhouse/migrations.js';
import { createLogger } from '../../../pipeline/log/logger.js';
import { runCli } from '../../helpers/cli.js';
import { TelegramStandIn } from '../../helpers/telegram-stand-in.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const TOKEN = '123456789:secret-token-for-tests';
const CHAT = '-100200300';
const dir = makeTempDir('alerts');
const telegram = new TelegramStandIn(TOKEN);
let apiUrl = '';
let clickhouse: EmbeddedClickHouse;
const logger = createLogger('silent');
const t0 = new Date('2026-11-26T00:00:00Z');
const after = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

/** Appends one duplicates_log row per entity, stamped `at`, as a refresh of the MART would. */
async function logDuplicates(at: Date, percentages: Record<string, number>): Promise<void> {
  await clickhouse.insert(
    'piccha_mart.duplicates_log',
    Object.entries(percentages).map(([entity, percentage]) => ({
      timestamp: at.toISOString().replace('T', ' ').replace('Z', ''),
      entity,
      window_start: new Date(at.getTime() - 86_400_000).toISOString().replace('T', ' ').replace('Z', ''),
      window_end: at.toISOString().replace('T', ' ').replace('Z', ''),
      documents: 1000,
      unique_keys: 1000 - Math.round(percentage * 10),
      duplicates: Math.round(percentage * 10),
      duplicate_percentage: percentage,
    })),
  );
}

let stateFile = '';
let fast: TelegramClient;
const notifier = (): Notifier => ({ send: (text) => fast.sendMessage(text), destination: 'sent to Telegram' });
const check = (now: Date, state = new AlertStateFile(stateFile)) =>
  runCheck({ clickhouse, rules: [duplicatesRule], state, notifier: notifier(), now, grafanaUrl: 'http://grafana.local', logger });

beforeAll(async () => {
  apiUrl = await telegram.start();
  clickhouse = new EmbeddedClickHouse(join(dir.path, 'clickhouse'));
  await migrate(clickhouse, readMigrations(defaultMigrationsDir()));
  // The test writes duplicates_log itself; the MART's own refreshes would append rows of their own.
  await clickhouse.exec('SYSTEM STOP VIEWS');
}, 120_000);

afterAll(async () => {
  await clickhouse.close();
  await telegram.stop();
  dir.remove();
});

let run = 0;
beforeEach(async () => {
  run++;
  stateFile = join(dir.path, `state-${run}.json`);
  telegram.messages.length = 0;
  fast = new TelegramClient({ apiUrl, token: TOKEN, chatId: CHAT, backoffMs: 10 });
  await clickhouse.exec('TRUNCATE TABLE piccha_mart.duplicates_log');
});

describe('piccha alerts check: «Дубликаты > 50%»', () => {
  it('fires once at 60% after the pending period, stays quiet while firing, resolves once after recovery', async () => {
    await logDuplicates(t0, { stores: 0, purchases: 60 });
    expect((await check(t0)).rules[0]).toMatchObject({ pending: 1, firing: 0 });
    expect(telegram.messages).toHaveLength(0);

    await check(after(duplicatesRule.pendingSeconds - 1));
    expect(telegram.messages).toHaveLength(0);

    const fired = await check(after(duplicatesRule.pendingSeconds));
    expect(fired).toMatchObject({ sent: 1, undelivered: 0 });
    expect(telegram.messages).toHaveLength(1);
    const [message] = telegram.messages;
    expect(message?.chatId).toBe(CHAT);
    expect(message?.parseMode).toBe('HTML');
    expect(message?.text).toContain('Сработало: Дубликаты &gt; 50%');
    expect(message?.text).toContain('purchases: дубликатов 60.0% (порог 50%), окно 24 ч');
    expect(message?.text).toContain('href="http://grafana.local/d/piccha-quality?viewPanel=2"');
    expect(message?.text).not.toContain('stores');

    await check(after(duplicatesRule.pendingSeconds + 60));
    await check(after(duplicatesRule.pendingSeconds + 120));
    expect(telegram.messages).toHaveLength(1);

    await logDuplicates(after(duplicatesRule.pendingSeconds + 150), { stores: 0, purchases: 12.5 });
    await check(after(duplicatesRule.pendingSeconds + 180));
    expect(telegram.messages).toHaveLength(2);
    expect(telegram.messages[1]?.text).toContain('Восстановлено: Дубликаты &gt; 50%');
    expect(telegram.messages[1]?.text).toContain('purchases: дубликатов 12.5%');
    await check(after(duplicatesRule.pendingSeconds + 240));
    expect(telegram.messages).toHaveLength(2);
  });

  it('prints the message instead when there is no bot token', async () => {
    await logDuplicates(t0, { purchases: 80 });
    const printed: string[] = [];
    const state = new AlertStateFile(stateFile);
    const options = { clickhouse, rules: [duplicatesRule], state, notifier: printingNotifier((text) => printed.push(text)), grafanaUrl: 'http://grafana.local', logger };
    await runCheck({ ...options, now: t0 });
    await runCheck({ ...options, now: after(duplicatesRule.pendingSeconds) });
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^--- Telegram message \(not sent: TELEGRAM_BOT_TOKEN is not set\) ---\n🔴 <b>Сработало: Дубликаты &gt; 50%<\/b>\n• purchases: дубликатов 80\.0%/);
    expect(telegram.messages).toHaveLength(0);
  });

  it('stays silent at 40% and at exactly 50%', async () => {
    await logDuplicates(t0, { purchases: 40, customers: 50 });
    for (let minute = 0; minute <= 10; minute++) expect((await check(after(minute * 60))).rules[0]).toMatchObject({ firing: 0, pending: 0 });
    expect(telegram.messages).toHaveLength(0);
  });

  it('reads the newest row of each entity, as the seed’s rule reads the newest row', async () => {
    await logDuplicates(t0, { purchases: 90 });
    await logDuplicates(after(1), { purchases: 10 });
    expect((await check(after(600))).rules[0]).toMatchObject({ firing: 0, pending: 0 });
  });

  it('does not send again after a restart: the state file carries what was sent', async () => {
    await logDuplicates(t0, { purchases: 75 });
    await check(t0);
    await check(after(duplicatesRule.pendingSeconds));
    expect(telegram.messages).toHaveLength(1);
    expect(existsSync(stateFile)).toBe(true);
    // A new process: nothing in memory, only the file.
    await check(after(duplicatesRule.pendingSeconds + 60), new AlertStateFile(stateFile));
    expect(telegram.messages).toHaveLength(1);
  });

  it('keeps an undelivered message and delivers it on the next check, once', async () => {
    await logDuplicates(t0, { purchases: 75 });
    await check(t0);
    telegram.replyNext(...Array.from({ length: 5 }, () => ({ status: 502, body: { ok: false, description: 'Bad Gateway' } })));
    const failed = await check(after(duplicatesRule.pendingSeconds));
    expect(failed).toMatchObject({ sent: 0, undelivered: 1 });
    expect(failed.deliveryError).toMatch(/after 5 attempts \(last: 502: Bad Gateway\)/);
    const retried = await check(after(duplicatesRule.pendingSeconds + 60));
    expect(retried).toMatchObject({ sent: 1, undelivered: 0 });
    expect(telegram.messages).toHaveLength(1);
  });
});

describe('the state file', () => {
  it('admits one evaluator at a time and takes over a lock whose process is gone', () => {
    const path = join(dir.path, 'locked', 'state.json');
    const release = new AlertStateFile(path).lock();
    expect(() => new AlertStateFile(path).lock()).toThrow(/^another alert evaluator \(`alerts check` or `demo`, process \d+\) is using /);
    release();
    writeFileSync(`${path}.lock`, '2147483646');
    new AlertStateFile(path).lock()();
  });

  it('names a corrupt state file instead of guessing', () => {
    const path = join(dir.path, 'corrupt.json');
    writeFileSync(path, '{"rules": ');
    expect(() => new AlertStateFile(path).read()).toThrow(/^alert state .*corrupt\.json is not readable JSON/);
  });
});

describe('the Telegram client', () => {
  it('waits as long as a 429 asks (retry_after) before trying again', async () => {
    const waits: number[] = [];
    const client = new TelegramClient({ apiUrl, token: TOKEN, chatId: CHAT, backoffMs: 10, sleep: (ms) => (waits.push(ms), Promise.resolve()) });
    telegram.replyNext({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } } });
    await client.sendMessage('проверка');
    expect(waits).toEqual([3000]);
    expect(telegram.messages.at(-1)?.text).toBe('проверка');
  });

  it('stops at once on 401 with one line that does not contain the token', async () => {
    const client = new TelegramClient({ apiUrl, token: 'wrong:token-value', chatId: CHAT, backoffMs: 10 });
    const before = telegram.requests.length;
    const error = await client.sendMessage('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramError);
    expect((error as Error).message).toBe('Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN');
    expect(telegram.requests.length - before).toBe(1);
  });

  it('never shows the token when the API cannot be reached', async () => {
    const client = new TelegramClient({ apiUrl: 'http://127.0.0.1:9', token: TOKEN, chatId: CHAT, maxAttempts: 2, backoffMs: 1 });
    const error = (await client.sendMessage('x').catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/did not take the message after 2 attempts/);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('secret-token');
  });
});

describe('the alerts check command', () => {
  it('reports each rule’s state, keeps it across runs, and names a missing chat id in one line', async () => {
    const state = join(dir.path, 'cli-state');
    const migrated = await runCli(['migrate'], { PICCHA_STATE_DIR: state });
    expect(migrated.code, migrated.stderr).toBe(0);
    // Stamped an hour ahead: newer than any row the engine's own refreshes append meanwhile.
    const stamp = new Date(Date.now() + 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
    const inserted = await runCli(['sql', `INSERT INTO piccha_mart.duplicates_log VALUES ('${stamp}', 'purchases', '${stamp}', '${stamp}', 10, 4, 6, 60)`], { PICCHA_STATE_DIR: state });
    expect(inserted.code, inserted.stderr).toBe(0);

    const first = await runCli(['alerts', 'check'], { PICCHA_STATE_DIR: state });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/pending\s+Дубликаты > 50%\s+\(0 firing, 1 pending\)/);
    expect(first.stdout).toMatch(/ok\s+Много отклонённых строк/);
    const saved = JSON.parse(readFileSync(join(state, 'alerts', 'state.json'), 'utf8')) as { rules: Record<string, Record<string, { since: string }>> };
    const since = Object.values(saved.rules[duplicatesRule.uid] ?? {})[0]?.since;
    expect(since).toBeDefined();

    const second = await runCli(['alerts', 'check'], { PICCHA_STATE_DIR: state });
    expect(second.stdout).toMatch(/pending\s+Дубликаты > 50%/);
    const again = JSON.parse(readFileSync(join(state, 'alerts', 'state.json'), 'utf8')) as typeof saved;
    expect(Object.values(again.rules[duplicatesRule.uid] ?? {})[0]?.since).toBe(since);

    const noChat = await runCli(['alerts', 'check'], { PICCHA_STATE_DIR: state, TELEGRAM_BOT_TOKEN: TOKEN });
    expect(noChat.code).toBe(1);
    expect(noChat.stderr).toBe('piccha: TELEGRAM_CHAT_ID is required when TELEGRAM_BOT_TOKEN is set\n');
  }, 120_000);
});
