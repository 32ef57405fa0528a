/**
 * How a long-running command writes its lines: `text` (the human lines as
 * they are, for terminals) or `json` (one object a line: time, level, role,
 * kind, msg — for log shippers).
 *
 * The roles write plain lines; the level is read from the line's shape so
 * that no call site changes: a status line (`[  12s] …`) is `info` of kind
 * `status`; a line saying something was rejected, failed, lost, silent or
 * could not be done is `warn`; everything else `info`.
 */
export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

const WARN = /\b(rejected|failed|fails|crash(ed|es)?|lost|silent|cannot|could not|unreachable|error|restarting)\b/i;
const STATUS = /^\[\s*\d+s\] /;

/** The level a line is logged at in `json`. */
export function lineLevel(line: string): 'info' | 'warn' {
  return !STATUS.test(line) && WARN.test(line) ? 'warn' : 'info';
}

/** Wraps `write` so each line goes out in `format`. */
export function formatLines(
  format: LogFormat,
  role: string,
  write: (line: string) => void,
  now: () => number = Date.now,
): (line: string) => void {
  if (format === 'text') return write;
  return (line: string) => {
    // A multi-line message (a config error listing problems) stays one record.
    write(
      JSON.stringify({
        time: new Date(now()).toISOString(),
        level: lineLevel(line),
        role,
        kind: STATUS.test(line) ? 'status' : 'event',
        msg: line,
      }),
    );
  };
}
