export type PiiKind = 'email' | 'phone';

export interface Normalized {
  /** The canonical form (+7XXXXXXXXXX, a lower-case email), or the trimmed input when it has none. */
  readonly value: string;
  readonly valid: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string): Normalized {
  const value = raw.trim().toLowerCase();
  return { value, valid: EMAIL.test(value) };
}

/**
 * A Russian phone as people type it (8 (916) 123-45-67, +7 916 123 45 67, 9161234567…) in
 * the one form the chain stores: +7 and ten digits.
 */
export function normalizePhone(raw: string): Normalized {
  const trimmed = raw.trim();
  if (!/^[\d\s()+-]+$/.test(trimmed)) return { value: trimmed, valid: false };
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length === 11 && (digits.startsWith('7') || digits.startsWith('8'))) return { value: `+7${digits.slice(1)}`, valid: true };
  if (digits.length === 10 && !trimmed.startsWith('+')) return { value: `+7${digits}`, valid: true };
  return { value: trimmed, valid: false };
}

export function normalize(kind: PiiKind, raw: string): Normalized {
  return kind === 'email' ? normalizeEmail(raw) : normalizePhone(raw);
}

/** A display form that identifies nothing: +7 *** ***-**-67, i***@mail.ru. */
export function mask(kind: PiiKind, normalized: Normalized): string {
  if (!normalized.valid) return '***';
  if (kind === 'phone') return `+7 *** ***-**-${normalized.value.slice(-2)}`;
  const [local = '', domain = ''] = normalized.value.split('@');
  return `${local.charAt(0)}***@${domain}`;
}
