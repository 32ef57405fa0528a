/**
 * Stable error codes. Tests and callers match on `code`, never on the message,
 * so messages can improve without breaking anyone.
 */
export type UrndErrorCode =
  | 'URND_ERR_CONFIG_PARSE'
  | 'URND_ERR_CONFIG_INVALID'
  | 'URND_ERR_CONFIG_READ'
  | 'URND_ERR_CAPACITY'
  | 'URND_ERR_TABLE_LAYOUT'
  | 'URND_ERR_ARGUMENT';

/** Base class of every error urnd throws; `code` is stable across releases. */
export class UrndError extends Error {
  readonly code: UrndErrorCode;
  constructor(code: UrndErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UrndError';
    this.code = code;
  }
}

/** One problem found in a config document: where (a dotted path) and what. */
export interface ConfigIssue {
  /** e.g. `records[3].answers[1].weight`; empty for the document itself. */
  readonly path: string;
  /** e.g. `300 is above 255`. */
  readonly message: string;
}

/**
 * A config document that was rejected whole. `issues` lists every problem
 * found, each as `path: message`; nothing of the document was applied.
 */
export class ConfigError extends UrndError {
  readonly issues: readonly ConfigIssue[];
  constructor(code: 'URND_ERR_CONFIG_PARSE' | 'URND_ERR_CONFIG_INVALID' | 'URND_ERR_CONFIG_READ', issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(code, formatIssues(issues), options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function formatIssues(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  if (lines.length === 1) return `config rejected: ${lines[0]}`;
  return `config rejected (${lines.length} problems):\n  ${lines.join('\n  ')}`;
}
