import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProvisioningFile } from './build.js';

/** Writes the tree under `dir`; files are replaced whole, so a rebuild gives the same bytes. */
export function writeProvisioning(dir: string, files: readonly ProvisioningFile[]): void {
  for (const file of files) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, 'utf8');
  }
}
