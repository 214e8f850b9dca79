import { UserError } from '../errors/user-error.js';

export interface TelegramOptions {
  /** The Bot API base, `https://api.telegram.org` in production; a local stand-in in tests. */
  readonly apiUrl: string;
  readonly token: string;
  readonly chatId: string;
  readonly maxAttempts?: number;
  /** First backoff in ms; doubles per attempt. */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class TelegramError extends UserError {}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface BotApiReply {
  ok?: boolean;
  description?: string;
  parameters?: { retry_after?: number };
}

/**
 * Sends messages through the Bot API's sendMessage. The token is part of the URL, so no URL,
 * request or fetch error text ever leaves this class: errors name the status and Telegram's
 * description, with the token scrubbed from it.
 */
export class TelegramClient {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: TelegramOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? 1000;
    this.sleep = options.sleep ?? wait;
  }

  private scrub(text: string): string {
    return this.options.token === '' ? text : text.split(this.options.token).join('***');
  }

  async sendMessage(text: string): Promise<void> {
    const url = `${this.options.apiUrl.replace(/\/+$/, '')}/bot${this.options.token}/sendMessage`;
    const body = JSON.stringify({ chat_id: this.options.chatId, text, parse_mode: 'HTML', disable_web_page_preview: true });
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let delay = this.backoffMs * 2 ** (attempt - 1);
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(30_000) });
        const reply = (await response.json().catch(() => ({}))) as BotApiReply;
        if (response.ok && reply.ok !== false) return;
        const description = this.scrub(reply.description ?? response.statusText);
        if (response.status === 401) throw new TelegramError('Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN');
        if (response.status === 429) {
          delay = Math.max(delay, (reply.parameters?.retry_after ?? 1) * 1000);
        } else if (response.status < 500) {
          throw new TelegramError(`Telegram refused the message (${response.status}: ${description})`);
        }
        lastProblem = `${response.status}: ${description}`;
      } catch (error) {
        if (error instanceof TelegramError) throw error;
        // fetch's errors may quote the URL, which holds the token: keep only their kind.
        lastProblem = error instanceof Error ? `${error.name}${'cause' in error && error.cause instanceof Error ? ` (${this.scrub(error.cause.message)})` : ''}` : 'network error';
      }
      if (attempt < this.maxAttempts) await this.sleep(delay);
    }
    throw new TelegramError(`Telegram did not take the message after ${this.maxAttempts} attempts (last: ${lastProblem})`);
  }
}
