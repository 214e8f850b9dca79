import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The pinned images of the services (infra/images.json), the one place a version is bumped. */
export interface PinnedImages {
  readonly mongodb: string;
  readonly kafka: string;
  readonly clickhouse: string;
  readonly grafana: string;
  /** `plugin-id@version` of Grafana's ClickHouse datasource. */
  readonly grafanaClickhousePlugin: string;
}

const KEYS = ['mongodb', 'kafka', 'clickhouse', 'grafana', 'grafanaClickhousePlugin'] as const;

export const IMAGES_FILE = 'infra/images.json';

export function parsePinnedImages(text: string, source: string): PinnedImages {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const images: Partial<Record<(typeof KEYS)[number], string>> = {};
  for (const key of KEYS) {
    const value = parsed[key];
    if (typeof value !== 'string' || value === '') throw new Error(`${source}: ${key} must name a pinned version`);
    const pinned = key === 'grafanaClickhousePlugin' ? /@\d+\.\d+\.\d+$/.test(value) : /:[^:/]+$|@sha256:[0-9a-f]{64}$/.test(value) && !value.endsWith(':latest');
    if (!pinned) throw new Error(`${source}: ${key} ${value} is not pinned to a version`);
    images[key] = value;
  }
  return images as PinnedImages;
}

export function readPinnedImages(root: string): PinnedImages {
  const path = join(root, IMAGES_FILE);
  return parsePinnedImages(readFileSync(path, 'utf8'), path);
}
