import type { Notifier } from './check.js';
import { TelegramClient, type TelegramOptions } from './telegram.js';

/** Without a bot token: the message is printed where the operator sees it, and counts as delivered. */
export function printingNotifier(write: (text: string) => void): Notifier {
  return {
    send: (text) => {
      write(`--- Telegram message (not sent: TELEGRAM_BOT_TOKEN is not set) ---\n${text}\n---\n`);
      return Promise.resolve();
    },
  };
}

export function telegramNotifier(options: TelegramOptions): Notifier {
  const client = new TelegramClient(options);
  return { send: (text) => client.sendMessage(text) };
}
