import { createHash } from 'node:crypto';
import type { ClickHouse, Row } from '../../pipeline/clickhouse/clickhouse.js';
import type { Document } from '../../pipeline/entities/entities.js';
import { DEFAULT_COUNTS, generateDocuments, type EntityCounts } from '../../pipeline/generate/generator.js';
import { DIRTY_PROFILES } from '../../pipeline/generate/defects.js';
import { newManifest, type Manifest } from '../../pipeline/generate/manifest.js';

/**
 * Generated stores and purchases written into RAW as the ingest would (one row per Kafka message,
 * purchase items in their own table), so that the migrations' staging and MART views compute the
 * marts the dashboards read. Emails become a stand-in blind index (a SHA-256), since the MART only
 * counts customers by it.
 */
export interface FedRun {
  readonly manifest: Manifest;
  readonly stores: Document[];
  readonly purchases: Document[];
}

const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export function generateRun(profile: string, seed: number, now: number, counts: EntityCounts = DEFAULT_COUNTS): FedRun {
  const defects = DIRTY_PROFILES[profile];
  if (!defects) throw new Error(`no profile ${profile}`);
  const manifest = newManifest({ seed, now: new Date(now).toISOString(), days: 90, profile, rates: defects.rates, max_copies: defects.maxCopies });
  const stores: Document[] = [];
  const purchases: Document[] = [];
  for (const { entity, document } of generateDocuments({ seed, now, days: 90, counts, defects }, manifest)) {
    if (entity === 'stores') stores.push(document);
    if (entity === 'purchases') purchases.push(document);
  }
  return { manifest, stores, purchases };
}

function transport(entity: string, offset: number, document: Document, loadedAt: string): Row {
  return {
    kafka_topic: `test.${entity}`,
    kafka_partition: 0,
    kafka_offset: offset,
    kafka_key: '',
    kafka_timestamp: loadedAt,
    schema_version: 1,
    source_id: String(document.source_id),
    op: 'upsert',
    emitted_at: loadedAt,
    loaded_at: loadedAt,
    pii_key_id: 'test',
    content_hash: '',
  };
}

/** What the ingest stores for a value it cannot type: NULL (the RAW row keeps the document's other fields). */
const blankToNull = (value: unknown) => (value === undefined || value === '' ? null : value);
const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);

const blindIndex = (value: unknown) => (typeof value === 'string' && value !== '' ? createHash('sha256').update(value.trim().toLowerCase()).digest('hex') : null);

export async function feedRaw(clickhouse: ClickHouse, run: FedRun, loadedAtMs: number): Promise<void> {
  const loadedAt = at(loadedAtMs);
  await clickhouse.insert(
    'piccha_raw.stores',
    run.stores.map((store, offset) => {
      const location = (store.location ?? {}) as Record<string, unknown>;
      return { ...transport('stores', offset, store, loadedAt), store_id: store.store_id ?? '', store_name: store.store_name ?? null, store_network: store.store_network ?? null, location_city: location.city ?? null };
    }),
  );
  const items: Row[] = [];
  const purchases = run.purchases.map((purchase, offset) => {
    const customer = (purchase.customer ?? {}) as Record<string, unknown>;
    const store = (purchase.store ?? {}) as Record<string, unknown>;
    const location = (store.location ?? {}) as Record<string, unknown>;
    const lines = (purchase.items ?? []) as Record<string, unknown>[];
    const envelope = transport('purchases', offset, purchase, loadedAt);
    lines.forEach((item, index) =>
      items.push({ ...envelope, purchase_id: purchase.purchase_id ?? '', item_index: index, product_id: item.product_id, name: item.name, category: item.category, quantity: numberOrNull(item.quantity) ?? 0, price_per_unit: numberOrNull(item.price_per_unit) ?? 0, total_price: numberOrNull(item.total_price) ?? 0 }),
    );
    const email = blindIndex(customer.email);
    return {
      ...envelope,
      purchase_id: purchase.purchase_id ?? '',
      customer_id: customer.customer_id ?? null,
      customer_email_ciphertext: email === null ? null : 'test',
      customer_email_blind_index: email,
      customer_is_loyalty_member: customer.is_loyalty_member ?? null,
      store_id: store.store_id ?? null,
      store_name: store.store_name ?? null,
      store_network: store.store_network ?? null,
      store_location_city: location.city ?? null,
      item_count: lines.length,
      total_amount: numberOrNull(purchase.total_amount),
      payment_method: purchase.payment_method ?? '',
      is_delivery: purchase.is_delivery ?? false,
      purchase_datetime: blankToNull(purchase.purchase_datetime),
    };
  });
  await clickhouse.insert('piccha_raw.purchases', purchases);
  await clickhouse.insert('piccha_raw.purchase_items', items);
}
