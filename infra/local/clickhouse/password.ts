import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The service's password: made on first start, then kept (mode 0600) so that clients
 * configured earlier keep working across restarts. Never printed.
 */
export function servicePassword(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    // 'wx': two starts at once cannot both write one.
    try {
      writeFileSync(path, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(path, 0o600);
  const password = readFileSync(path, 'utf8').trim();
  if (password === '') throw new Error(`${path} is empty; delete it to have a new password made`);
  return password;
}
