import { FAILURE_REASONS, REASON_CODE_MASK, REASON_HTTP_MAX, REASON_HTTP_SHIFT, type FailureReason } from './layout.js';

/** Code of each failure reason in a reason word (index in FAILURE_REASONS + 1). */
const CODE_OF: Readonly<Record<FailureReason, number>> = Object.fromEntries(
  FAILURE_REASONS.map((r, i) => [r, i + 1]),
) as Record<FailureReason, number>;

/**
 * The reason word of one probe (see the drawing in layout.ts): 0 for a
 * success (`reason` null), else the reason's code, with `httpStatus` (the
 * response's status, 0 if none) kept only for `status`.
 */
export function packReason(reason: FailureReason | null, httpStatus: number): number {
  if (reason === null) return 0;
  const code = CODE_OF[reason];
  const http = reason === 'status' && httpStatus > 0 && httpStatus <= REASON_HTTP_MAX ? httpStatus | 0 : 0;
  return (http << REASON_HTTP_SHIFT) | code;
}

/** The reason a word names, or null for 0 ("none") and codes urnd never writes. */
export function reasonOf(word: number): FailureReason | null {
  const code = word & REASON_CODE_MASK;
  return code === 0 ? null : (FAILURE_REASONS[code - 1] ?? null);
}

/** The HTTP status a `status` reason word carries; 0 if none. */
export function reasonHttpStatus(word: number): number {
  return (word >>> REASON_HTTP_SHIFT) & REASON_HTTP_MAX;
}

/** The word as people read it: `timeout`, `status 503`, …; null for none. */
export function formatReason(word: number): string | null {
  const reason = reasonOf(word);
  if (reason === null) return null;
  const http = reasonHttpStatus(word);
  return reason === 'status' && http > 0 ? `status ${http}` : reason;
}
