/**
 * Lenient parsing helpers. Real Graph traffic differs from the docs: enum values arrive in other casings
 * ("Created", "Incoming"), numeric codes arrive as strings ("200"). These helpers accept both and normalise.
 */
import { z } from 'zod';

/** A string that is one of `T` (canonical casing) or any other string Graph may add later. */
export type Lenient<T extends string> = T | (string & { readonly __lenient?: never });

/**
 * Case-insensitive enum: a known value (any casing) becomes its canonical spelling; an unknown value passes through
 * unchanged so new Graph values never make a notification unparsable.
 */
export function lenientEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map<string, T[number]>(values.map((v) => [v.toLowerCase(), v]));
  return z.string().transform((raw): Lenient<T[number]> => byLower.get(raw.toLowerCase()) ?? raw);
}

/** Case-insensitive enum that refuses unknown values (used where safety needs a closed set). */
export function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const byLower = new Map<string, T[number]>(values.map((v) => [v.toLowerCase(), v]));
  return z.string().transform((raw, ctx): T[number] => {
    const known = byLower.get(raw.toLowerCase());
    if (known === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got "${raw}"` });
      return z.NEVER;
    }
    return known;
  });
}

/** An Int32 sent as a number or as a numeric string ("200"). */
export const intOrNumericString = z.union([
  z.number().int(),
  z.string().regex(/^-?\d{1,12}$/, 'expected a numeric string').transform((s) => Number.parseInt(s, 10)),
]);

/** Graph ids used in URLs and as orchestration instance ids: no path separators or control characters. */
export const safeId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'id must contain only letters, digits, ".", "_", ":" and "-"');

/** Entra tenant id: a GUID. */
export const tenantId = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'tenant id must be a GUID')
  .transform((s) => s.toLowerCase());
