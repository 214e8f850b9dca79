import type { Document } from './entities.js';

/**
 * The object holding the last part of a dotted path (`customer.email` → the `customer`
 * object), or undefined where the path runs through something that is not an object.
 */
export function containerOf(document: Document, path: string): { parent: Record<string, unknown> | undefined; field: string } {
  const parts = path.split('.');
  const field = parts.pop() ?? path;
  let parent: unknown = document;
  for (const part of parts) parent = typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[part] : undefined;
  return { parent: typeof parent === 'object' && parent !== null && !Array.isArray(parent) ? (parent as Record<string, unknown>) : undefined, field };
}

/** The value at a dotted path, or undefined where the path does not lead anywhere. */
export function getPath(document: Document, path: string): unknown {
  const { parent, field } = containerOf(document, path);
  return parent?.[field];
}
