import { Decimal } from 'decimal.js';

/**
 * Money is an exact decimal string from the edge to PostgreSQL (`numeric(18,4)`) and back; sums
 * and comparisons go through decimal.js, never through a JavaScript number.
 */
export const MAX_DECIMALS = 4;
const LIMIT = new Decimal('99999999999999.9999');

/** A plain decimal with at most `decimals` places: "15000", "12.50". */
export function isAmount(text: string, decimals: number): boolean {
  const pattern = decimals === 0 ? /^\d{1,14}$/ : new RegExp(`^\\d{1,14}(\\.\\d{1,${decimals}})?$`);
  return pattern.test(text);
}

/** The amount, exactly, as the currency writes it: "15000.0000" → "15000" for DJF, "12.5" → "12.50" for EUR. */
export function asMoney(value: Decimal.Value, decimals: number): string {
  return new Decimal(value).toFixed(decimals);
}

export function sum(values: Decimal.Value[]): Decimal {
  return values.reduce<Decimal>((total, value) => total.plus(value), new Decimal(0));
}

export function withinLimit(value: Decimal): boolean {
  return value.gte(0) && value.lte(LIMIT);
}

/** The decimals ISO 4217 gives a currency (DJF 0, EUR 2, KWD 3); null for a code that is not one. */
export function currencyDecimals(currency: string): number | null {
  if (!/^[A-Z]{3}$/.test(currency)) return null;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? null;
  } catch {
    return null;
  }
}

export { Decimal };
