import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProvisioningFile } from './build.js';

/** Folders only this build writes to: a dashboard file left there by an older build is removed, or Grafana would keep serving it. */
const OWNED_FOLDERS = ['dashboards/piccha'];

/** Writes the tree under `dir`; files are replaced whole, so a rebuild gives the same bytes. */
export function writeProvisioning(dir: string, files: readonly ProvisioningFile[]): void {
  const paths = new Set(files.map((file) => file.path));
  for (const folder of OWNED_FOLDERS) {
    const target = join(dir, folder);
    if (!existsSync(target)) continue;
    for (const name of readdirSync(target)) if (!paths.has(`${folder}/${name}`)) rmSync(join(target, name), { recursive: true, force: true });
  }
  for (const file of files) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, 'utf8');
  }
}
