import type { PanelUnit } from '../panels.js';

/** Values as Grafana shows them with the panel's unit and decimals, in Russian number format. */
export function formatValue(value: unknown, unit: PanelUnit, decimals: number | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const number = Number(value);
  if (!Number.isFinite(number)) return typeof value === 'string' ? value : JSON.stringify(value);
  const digits = { minimumFractionDigits: decimals ?? 0, maximumFractionDigits: decimals ?? 2 };
  switch (unit) {
    case 'currencyRUB':
      return new Intl.NumberFormat('ru-RU', { style: 'currency', currency: 'RUB', ...digits }).format(number);
    case 'percent':
      return `${new Intl.NumberFormat('ru-RU', digits).format(number)} %`;
    case 'm':
      return `${new Intl.NumberFormat('ru-RU', digits).format(number)} мин`;
    default:
      return new Intl.NumberFormat('ru-RU', digits).format(number);
  }
}
