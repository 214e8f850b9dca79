/** Variables whose whole value is a secret. */
const SECRET_VARIABLES = ['CLICKHOUSE_PASSWORD', 'PICCHA_PII_KEYS', 'PICCHA_PII_INDEX_KEY', 'TELEGRAM_BOT_TOKEN'];
/** Variables holding URLs whose user-info may carry a password. */
const URL_VARIABLES = ['MONGO_URL', 'CLICKHOUSE_URL'];

const USER_INFO = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi;

function passwordOf(url: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s]*)@/i.exec(url);
  if (!match?.[1]) return [];
  let decoded = match[1];
  try {
    decoded = decodeURIComponent(match[1]);
  } catch {
    // A malformed escape: the raw text is what could be echoed.
  }
  return [match[1], decoded];
}

/** The secret values of an environment: passwords in URLs, keys and tokens (each at least 4 characters). */
export function secretsOf(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets = new Set<string>();
  for (const name of SECRET_VARIABLES) {
    const value = env[name]?.trim();
    if (!value) continue;
    secrets.add(value);
    // A key list: each key on its own too.
    for (const part of value.split(/[,:]/)) if (part.length >= 16) secrets.add(part);
  }
  for (const name of URL_VARIABLES) for (const password of passwordOf(env[name] ?? '')) secrets.add(password);
  return [...secrets].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
}

/** Secrets configured outside process.env (the state folder's services.env and pii.env). */
const registered = new Set<string>();

/** Makes the secrets of a configuration read from elsewhere than process.env known to `redact` and the logger from now on. */
export function registerSecrets(values: Readonly<Record<string, string | undefined>>): void {
  for (const secret of secretsOf(values)) registered.add(secret);
}

let known: { readonly source: string; readonly secrets: string[] } | undefined;

/**
 * Every secret known now: the environment's and those registered, longest first (a secret may
 * contain another). The logger asks for each line, so the list is rebuilt only when the variables
 * or the registered secrets changed.
 */
export function knownSecrets(): string[] {
  const source = [...[...SECRET_VARIABLES, ...URL_VARIABLES].map((name) => process.env[name] ?? ''), registered.size].join('\0');
  if (known?.source !== source) known = { source, secrets: [...new Set([...secretsOf(process.env), ...registered])].sort((a, b) => b.length - a.length) };
  return known.secrets;
}

/**
 * The text with any password in a URL's user-info and every known secret value replaced, so
 * that no error, log line or output can carry them whatever library wrote the message.
 */
export function redact(text: string, secrets: readonly string[] = knownSecrets()): string {
  let result = text.replace(USER_INFO, '$1:***@');
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}
