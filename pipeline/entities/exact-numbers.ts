/**
 * A JSON number is read as a double, which holds whole numbers exactly only up to 2^53 − 1: a
 * larger one (a 17-digit barcode, say) has already lost digits when it is parsed, and ClickHouse
 * refuses whole numbers beyond 64 bits as JSON at all. Such a document is refused with its path
 * instead of being stored rounded or dropped downstream as unreadable.
 */
export function inexactNumber(value: unknown, path = ''): string | undefined {
  if (typeof value === 'number') return inexactNumberAt(value, path);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = inexactNumber(item, `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  // Plain objects only: a stored document's dates and ids hold no JSON numbers.
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  for (const [name, item] of Object.entries(value)) {
    const found = inexactNumber(item, path === '' ? name : `${path}.${name}`);
    if (found) return found;
  }
  return undefined;
}

/** The refusal for one number found at `path`, for a caller that walks the document itself. */
export function inexactNumberAt(value: number, path: string): string | undefined {
  return Math.abs(value) > Number.MAX_SAFE_INTEGER ? `field ${path === '' ? '(the document)' : path}: a number beyond ±${Number.MAX_SAFE_INTEGER} (2^53 − 1) is not kept exactly; send it as a string` : undefined;
}
