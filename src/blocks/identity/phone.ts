/**
 * Mobile numbers in E.164 (`+25377123456`): a plus, a country code that does not start with 0,
 * and at most 15 digits in all. That is what SMS gateways take, so it is what accounts keep.
 */
export const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * The number as people type it (`+253 77 12 34 56`, `00253-77-12-34-56`, `(+253) 77.12.34.56`)
 * in E.164, or null when it is not an international number: without a country code we cannot
 * tell which country a local number belongs to.
 */
export function normaliseMobile(input: string): string | null {
  const compact = input.trim().replace(/[\s().-]/g, '').replace(/^00/, '+');
  return E164.test(compact) ? compact : null;
}
