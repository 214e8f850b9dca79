import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export class GitRefError extends Error {}

/**
 * The tree of a git ref, extracted into a temporary folder under the repository's .piccha/ (so
 * that its code resolves the repository's node_modules), and a function that removes it.
 */
export function extractRef(repository: string, ref: string): { root: string; remove: () => void } {
  let commit: string;
  try {
    commit = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repository, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    throw new GitRefError(`${ref} is not a commit of the repository at ${repository}`);
  }
  const parent = join(repository, '.piccha', 'plan');
  mkdirSync(parent, { recursive: true });
  const root = mkdtempSync(join(parent, `${commit.slice(0, 12)}-`));
  try {
    const archive = execFileSync('git', ['archive', '--format=tar', commit], { cwd: repository, maxBuffer: 512 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', root], { input: archive });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
