/*
 * Reading rows of a hand-written statement on either driver. `pg` hands back JSON columns parsed,
 * timestamps as Dates and booleans as booleans; better-sqlite3 hands back the stored text and 0/1. These
 * turn either into one shape, so a statement written once serves both.
 */

/** A JSON column: parsed already (PostgreSQL) or JSON text (SQLite). */
export function rawJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A timestamp column: a Date (PostgreSQL) or TypeORM's UTC text `YYYY-MM-DD HH:MM:SS.SSS` (SQLite). */
export function rawDate(value: unknown): Date {
  if (value instanceof Date) {
    return value;
  }
  const text = String(value);
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text) ? text.replace(' ', 'T') : text;
  const date = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`Not a timestamp: ${text}`);
  }
  return date;
}

/** A nullable timestamp column. */
export function rawDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : rawDate(value);
}
