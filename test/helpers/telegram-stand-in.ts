import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  readonly token: string;
  readonly chatId: string;
  readonly text: string;
  readonly parseMode: string;
}

/** A scripted reply: the status and JSON body the next request gets. */
export interface ScriptedReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * A local HTTP server speaking the part of Telegram's Bot API that alerts use:
 * POST /bot<token>/sendMessage with a JSON body. Replies come from a script, then `ok`.
 */
export class TelegramStandIn {
  readonly messages: ReceivedMessage[] = [];
  /** Every request, answered or not, with the time it arrived. */
  readonly requests: { at: number; status: number }[] = [];
  private readonly script: ScriptedReply[] = [];
  private server: Server | undefined;

  constructor(private readonly validToken: string) {}

  replyNext(...replies: ScriptedReply[]): void {
    this.script.push(...replies);
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const match = /^\/bot([^/]+)\/sendMessage$/.exec(request.url ?? '');
        const reply = (status: number, payload: Record<string, unknown>) => {
          this.requests.push({ at: Date.now(), status });
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
        };
        if (request.method !== 'POST' || !match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
        if (match[1] !== this.validToken) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
        const scripted = this.script.shift();
        if (scripted) return reply(scripted.status, scripted.body);
        const parsed = JSON.parse(body) as { chat_id: string; text: string; parse_mode: string };
        this.messages.push({ token: match[1], chatId: String(parsed.chat_id), text: parsed.text, parseMode: parsed.parse_mode });
        reply(200, { ok: true, result: { message_id: this.messages.length } });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((error) => (error ? reject(error) : resolve())) ?? resolve());
  }
}
