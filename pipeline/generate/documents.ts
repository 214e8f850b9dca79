import { base, en, Faker, ru } from '@faker-js/faker';
import type { Document } from '../entities/entities.js';
import { CATEGORIES, NETWORKS, OPENING_HOURS, openingHoursOn, PAYMENT_METHODS, UNITS } from './catalog.js';
import { localMidnight, localWeekday, toLocalDate, toLocalIso } from './local-time.js';
import type { Random } from './random.js';

const DAY_MS = 86_400_000;

/** One faker, reseeded for every document so that each draws from its own stream. */
const faker = new Faker({ locale: [ru, en, base] });

export interface GenerationContext {
  readonly seed: number;
  /** The reference time every date is relative to, in milliseconds. */
  readonly now: number;
  /** Purchases fall within this many days before `now`. */
  readonly days: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const round = (value: number, digits: number) => Number(value.toFixed(digits));
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

export function sourceId(entity: string, seed: number, position: number): string {
  return `${entity}-${seed}-${position}`;
}

/** A Russian mobile number in the one form the chain's systems store: +7 and ten digits. */
function mobilePhone(random: Random): string {
  return `+79${pad(random.int(0, 999_999_999), 9)}`;
}

function email(): string {
  return faker.internet.email().toLowerCase();
}

/** An EAN-13 with a correct check digit. */
function ean13(random: Random): string {
  const digits = Array.from({ length: 12 }, () => random.int(0, 9));
  const sum = digits.reduce((total, digit, index) => total + digit * (index % 2 === 0 ? 1 : 3), 0);
  return `${digits.join('')}${(10 - (sum % 10)) % 10}`;
}

/** How many stores of each network a run with `total` stores has: the seed's 30:15 split. */
export function networkOfStore(position: number, total: number): (typeof NETWORKS)[number] {
  const big = NETWORKS[0];
  const small = NETWORKS[1];
  if (!big || !small) throw new Error('two networks expected');
  const bigCount = Math.round((total * big.stores) / (big.stores + small.stores));
  return position < bigCount ? { ...big, stores: bigCount } : { ...small, stores: total - bigCount };
}

export function makeStore(random: Random, context: GenerationContext, position: number, total: number): Document {
  faker.seed(random.seed());
  const network = networkOfStore(position, total);
  const sex = random.chance(0.5) ? 'female' : 'male';
  return {
    source_id: sourceId('stores', context.seed, position),
    store_id: `store-${pad(position + 1, 3)}`,
    store_name: `${network.name} — Магазин на ${faker.location.street()}`,
    store_network: network.name,
    store_type_description: `${network.description} Входит в сеть из ${network.stores} магазинов.`,
    type: 'offline',
    categories: [...CATEGORIES],
    manager: { name: faker.person.fullName({ sex }), phone: mobilePhone(random), email: email() },
    location: {
      country: 'Россия',
      city: faker.location.city(),
      street: faker.location.street(),
      house: faker.location.buildingNumber(),
      postal_code: faker.location.zipCode(),
      coordinates: { latitude: round(44 + random.next() * 16, 6), longitude: round(30 + random.next() * 30, 6) },
    },
    opening_hours: { ...OPENING_HOURS },
    accepts_online_orders: true,
    delivery_available: true,
    warehouse_connected: random.chance(0.5),
    last_inventory_date: toLocalDate(context.now - random.int(0, 30) * DAY_MS),
  };
}

export function makeProduct(random: Random, context: GenerationContext, position: number): Document {
  faker.seed(random.seed());
  return {
    source_id: sourceId('products', context.seed, position),
    id: `prd-${1000 + position}`,
    name: `${capitalize(faker.lorem.word())} ${capitalize(faker.lorem.word())}`,
    group: random.pick(CATEGORIES),
    description: faker.lorem.sentence(),
    kbju: {
      calories: round(50 + random.next() * 250, 1),
      protein: round(0.5 + random.next() * 19.5, 1),
      fat: round(0.1 + random.next() * 14.9, 1),
      carbohydrates: round(0.5 + random.next() * 49.5, 1),
    },
    // Whole kopecks, so that every later sum is exact.
    price: random.int(3_000, 30_000) / 100,
    unit: random.pick(UNITS),
    origin_country: 'Россия',
    expiry_days: random.int(5, 30),
    is_organic: random.chance(0.5),
    barcode: ean13(random),
    manufacturer: {
      name: faker.company.name(),
      country: 'Россия',
      website: `https://${faker.internet.domainName()}`,
      inn: pad(random.int(0, 9_999_999_999), 10),
    },
  };
}

export function makeCustomer(random: Random, context: GenerationContext, position: number, store: Document): Document {
  faker.seed(random.seed());
  const sex = random.chance(0.5) ? 'female' : 'male';
  const location = store.location as Record<string, unknown>;
  const ageDays = random.int(18 * 365 + 5, 70 * 365);
  return {
    source_id: sourceId('customers', context.seed, position),
    customer_id: `cus-${1000 + position}`,
    first_name: faker.person.firstName(sex),
    last_name: faker.person.lastName(sex),
    email: email(),
    phone: mobilePhone(random),
    birth_date: toLocalDate(context.now - ageDays * DAY_MS),
    gender: sex,
    registration_date: toLocalIso(context.now - random.int(context.days, 3 * 365) * DAY_MS - random.int(0, 86_399) * 1000),
    is_loyalty_member: true,
    loyalty_card_number: `LOYAL-${(random.int(0, 0xfffff) * 0x100000 + random.int(0, 0xfffff)).toString(16).toUpperCase().padStart(10, '0')}`,
    purchase_location: structuredClone(location),
    delivery_address: {
      country: 'Россия',
      city: location.city,
      street: faker.location.street(),
      house: faker.location.buildingNumber(),
      apartment: String(random.int(1, 300)),
      postal_code: faker.location.zipCode(),
    },
    preferences: {
      preferred_language: 'ru',
      preferred_payment_method: random.pick(PAYMENT_METHODS),
      receive_promotions: random.chance(0.5),
    },
  };
}

/** A moment inside the store's opening hours on one of the last `days` days, never after `now`. */
function purchaseTime(random: Random, context: GenerationContext): number {
  const today = localMidnight(context.now);
  // Before today's opening there is no trading today yet: the window ends yesterday instead,
  // else `--days 1` early in the morning would draw only instants after `now`, for ever.
  const latest = today + openingHoursOn(localWeekday(today + DAY_MS / 2)).open * 3_600_000 <= context.now ? today : today - DAY_MS;
  for (;;) {
    const day = latest - random.int(0, context.days - 1) * DAY_MS;
    const { open, close } = openingHoursOn(localWeekday(day + DAY_MS / 2));
    const instant = day + open * 3_600_000 + random.int(0, (close - open) * 3600 - 1) * 1000;
    if (instant <= context.now) return instant;
  }
}

export function makePurchase(random: Random, context: GenerationContext, position: number, stores: readonly Document[], products: readonly Document[], customers: readonly Document[]): Document {
  const customer = random.pick(customers);
  const store = random.pick(stores);
  let totalKopecks = 0;
  const items = random.sample(products, random.int(1, Math.min(3, products.length))).map((product) => {
    const quantity = random.int(1, 5);
    const priceKopecks = Math.round((product.price as number) * 100);
    totalKopecks += priceKopecks * quantity;
    return {
      product_id: product.id,
      name: product.name,
      category: product.group,
      quantity,
      unit: product.unit,
      price_per_unit: product.price,
      total_price: (priceKopecks * quantity) / 100,
      kbju: structuredClone(product.kbju),
      manufacturer: structuredClone(product.manufacturer),
    };
  });
  return {
    source_id: sourceId('purchases', context.seed, position),
    purchase_id: `ord-${pad(position + 1, 5)}`,
    customer: {
      customer_id: customer.customer_id,
      first_name: customer.first_name,
      last_name: customer.last_name,
      email: customer.email,
      phone: customer.phone,
      is_loyalty_member: customer.is_loyalty_member,
      loyalty_card_number: customer.loyalty_card_number,
    },
    store: { store_id: store.store_id, store_name: store.store_name, store_network: store.store_network, location: structuredClone(store.location) },
    items,
    total_amount: totalKopecks / 100,
    payment_method: random.pick(PAYMENT_METHODS),
    is_delivery: random.chance(0.5),
    delivery_address: structuredClone(customer.delivery_address),
    purchase_datetime: toLocalIso(purchaseTime(random, context)),
  };
}
