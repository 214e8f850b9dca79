import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A file as it goes into a container or a hash: a path relative to its root, and its bytes. */
export interface ContentFile {
  readonly path: string;
  readonly content: Buffer;
}

/**
 * A SHA-256 over paths and contents, in path order, with lengths framing each part: the same
 * files give the same hash on any machine and in any listing order, and no two different sets
 * of files share one by concatenation.
 */
export function hashFiles(files: readonly ContentFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => compareText(a.path, b.path))) {
    const path = Buffer.from(file.path, 'utf8');
    hash.update(`${path.length}:`).update(path).update(`${file.content.length}:`).update(file.content);
  }
  return hash.digest('hex');
}

/**
 * Every regular file under `root` (paths relative to it, forward slashes, in path order), except
 * those `keep` refuses; a folder `descend` refuses is not read at all.
 */
export function listFiles(
  root: string,
  keep: (path: string) => boolean = () => true,
  descend: (path: string) => boolean = () => true,
): ContentFile[] {
  const files: ContentFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      const path = relative(root, absolute).split(sep).join('/');
      if (entry.isDirectory()) {
        if (descend(path)) walk(absolute);
      } else if (entry.isFile() && keep(path)) files.push({ path, content: readFileSync(absolute) });
    }
  };
  walk(root);
  return files.sort((a, b) => compareText(a.path, b.path));
}

/** Ordering by code unit, not locale: the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
