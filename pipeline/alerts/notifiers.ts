import type { Config } from '../config/config.js';
import { UserError } from '../errors/user-error.js';
import type { Notifier } from './check.js';
import { TelegramClient, type TelegramOptions } from './telegram.js';

/** Without a bot token: the message is printed where the operator sees it, and counts as delivered. */
export function printingNotifier(write: (text: string) => void): Notifier {
  return {
    send: (text) => {
      write(`--- Telegram message (not sent: TELEGRAM_BOT_TOKEN is not set) ---\n${text}\n---\n`);
      return Promise.resolve();
    },
    destination: 'printed here, not sent (TELEGRAM_BOT_TOKEN is not set)',
  };
}

export function telegramNotifier(options: TelegramOptions): Notifier {
  const client = new TelegramClient(options);
  return { send: (text) => client.sendMessage(text), destination: 'sent to Telegram' };
}

/** Telegram when a bot token is configured, standard output otherwise. */
export function notifierFor(config: Config): Notifier {
  const { botToken, chatId, apiUrl } = config.telegram;
  if (botToken === undefined) return printingNotifier((text) => process.stdout.write(text));
  if (chatId === undefined) throw new UserError('TELEGRAM_CHAT_ID is required when TELEGRAM_BOT_TOKEN is set');
  return telegramNotifier({ apiUrl, token: botToken, chatId });
}
