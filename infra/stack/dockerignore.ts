import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles, type ContentFile } from './content-hash.js';

interface Rule {
  readonly exclude: boolean;
  readonly glob: string;
  readonly pattern: RegExp;
}

/**
 * Docker's .dockerignore rules: one pattern a line, `#` comments, `!` re-includes, `*` and `?`
 * within a path segment, `**` across segments; the last rule matching a path or one of its parent
 * folders decides (moby/patternmatcher's MatchesOrParentMatches).
 */
export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const line of text.split(/\r?\n/)) {
    let pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const exclude = !pattern.startsWith('!');
    if (!exclude) pattern = pattern.slice(1).trim();
    pattern = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
    if (pattern === '') continue;
    rules.push({ exclude, glob: pattern, pattern: globToRegExp(pattern) });
  }
  return rules;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i] ?? '';
    if (char === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` matches everything below.
      if (glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether the rules keep a path (relative, forward slashes) out of the build context. */
export function isIgnored(rules: readonly Rule[], path: string): boolean {
  const parents: string[] = [];
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i += 1) parents.push(parts.slice(0, i).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (parents.some((candidate) => rule.pattern.test(candidate))) ignored = rule.exclude;
  }
  return ignored;
}

/**
 * Whether an ignored folder can be skipped: no `!` rule could re-include a path below it (one
 * whose fixed start lies inside the folder, or that starts with a wildcard).
 */
function canSkip(rules: readonly Rule[], folder: string): boolean {
  return rules.every((rule) => rule.exclude || !(rule.glob.startsWith(`${folder}/`) || /^[*?]/.test(rule.glob)));
}

/** The files Docker sends as the build context of `root`, by its .dockerignore. */
export function buildContextFiles(root: string): ContentFile[] {
  const rules = parseDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
  return listFiles(
    root,
    (path) => !isIgnored(rules, path),
    (folder) => !(isIgnored(rules, folder) && canSkip(rules, folder)),
  );
}
