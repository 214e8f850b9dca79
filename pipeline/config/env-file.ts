import { existsSync, readFileSync } from 'node:fs';

/** Reads KEY=value lines (blank lines and # comments allowed); a missing file is empty. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // Node's own message (EISDIR, EACCES) does not say which file.
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const values: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${path}:${index + 1}: expected KEY=value`);
    values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return values;
}

/** Writes KEY=value lines under a comment header. */
export function formatEnvFile(header: string, values: Record<string, string>): string {
  const lines = header.split('\n').map((line) => `# ${line}`);
  for (const [key, value] of Object.entries(values)) lines.push(`${key}=${value}`);
  return `${lines.join('\n')}\n`;
}
