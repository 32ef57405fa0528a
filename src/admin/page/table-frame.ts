/**
 * The page's one-a-second fetch, GET /table: a fixed header of Float64
 * fields, then the status table's bytes as they are (one byte a slot, the
 * bytes a status frame carries). Its size is fixed by the capacity, so the
 * page costs the same whatever the table says.
 *
 * ```
 * 0            80                                 80 + capacity
 * ├─ header ───┼─ status bytes, slot 0 … C-1 ──────┤
 *   10 × f64 LE (TableField)
 * ```
 */
export const TableField = {
  /** TABLE_FORMAT: bumped when the layout changes. */
  FORMAT: 0,
  CAPACITY: 1,
  /** The server's clock when it copied the table, ms since the epoch. */
  SERVER_NOW_MS: 2,
  /** Aggregator ticks run here, or status frames applied (DNS role). */
  TICKS: 3,
  /** Last aggregator tick's duration, ms; −1 where no tick runs here. */
  TICK_MS: 4,
  /** p99 probe start lateness over the last second, ms; −1 where no probe runs here. */
  LATENESS_P99_MS: 5,
  /** Seconds since the table last changed hands (tick or frame); −1 before the first. */
  TABLE_AGE_SEC: 6,
  /** Aggregator epoch the table follows (DNS role); −1 where the table is computed here. */
  EPOCH: 7,
  /** 32-bit hash of the plan's version: the page refetches /page/plan when it changes. */
  PLAN_HASH: 8,
  /** Status changes seen since start. */
  CHANGES_TOTAL: 9,
} as const;
export const TABLE_FIELD_COUNT = 10;
export const TABLE_HEADER_BYTES = TABLE_FIELD_COUNT * 8;
export const TABLE_FORMAT = 1;

/** Values of the header fields, in TableField order. */
export type TableHeader = Readonly<
  Record<Exclude<keyof typeof TableField, 'FORMAT' | 'CAPACITY' | 'SERVER_NOW_MS'>, number>
>;

/**
 * Header + a copy of `statuses`, in a buffer of its own (the response is
 * written after this returns, while the aggregator keeps writing the table).
 */
export function encodeTable(statuses: Uint8Array, h: TableHeader, nowMs: number): Uint8Array {
  const out = Buffer.allocUnsafe(TABLE_HEADER_BYTES + statuses.length);
  const f = (field: number, v: number) => out.writeDoubleLE(v, field * 8);
  f(TableField.FORMAT, TABLE_FORMAT);
  f(TableField.CAPACITY, statuses.length);
  f(TableField.SERVER_NOW_MS, nowMs);
  f(TableField.TICKS, h.TICKS);
  f(TableField.TICK_MS, h.TICK_MS);
  f(TableField.LATENESS_P99_MS, h.LATENESS_P99_MS);
  f(TableField.TABLE_AGE_SEC, h.TABLE_AGE_SEC);
  f(TableField.EPOCH, h.EPOCH);
  f(TableField.PLAN_HASH, h.PLAN_HASH);
  f(TableField.CHANGES_TOTAL, h.CHANGES_TOTAL);
  out.set(statuses, TABLE_HEADER_BYTES);
  return out;
}

/** FNV-1a of a string, as an unsigned 32-bit number (exact in a double). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
