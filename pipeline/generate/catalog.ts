/** The chain as the seed describes it: its networks, categories and opening hours. */

export interface Network {
  readonly name: string;
  readonly stores: number;
  readonly description: string;
}

export const NETWORKS: readonly Network[] = [
  { name: 'Большая Пикча', stores: 30, description: 'Супермаркет более 200 кв.м.' },
  { name: 'Маленькая Пикча', stores: 15, description: 'Магазин у дома менее 100 кв.м.' },
];

export const CATEGORIES: readonly string[] = [
  '🥖 Зерновые и хлебобулочные изделия',
  '🥩 Мясо, рыба, яйца и бобовые',
  '🥛 Молочные продукты',
  '🍏 Фрукты и ягоды',
  '🥦 Овощи и зелень',
];

export const UNITS: readonly string[] = ['упаковка', 'шт', 'кг', 'л'];

export const PAYMENT_METHODS: readonly string[] = ['card', 'cash'];

/** Local opening hours by day kind; purchases happen inside them. */
export const OPENING_HOURS = { mon_fri: '09:00-21:00', sat: '10:00-20:00', sun: '10:00-18:00' } as const;

/** The chain's stores keep Moscow time, which has no daylight saving: always UTC+3. */
export const STORE_UTC_OFFSET_HOURS = 3;

/** Opening and closing hour for a day of the week (0 = Sunday), from OPENING_HOURS. */
export function openingHoursOn(weekday: number): { open: number; close: number } {
  const range = weekday === 0 ? OPENING_HOURS.sun : weekday === 6 ? OPENING_HOURS.sat : OPENING_HOURS.mon_fri;
  const [open, close] = range.split('-').map((time) => Number(time.slice(0, 2)));
  return { open: open ?? 0, close: close ?? 0 };
}
