// How long --wait waits.
import { usage } from '../errors';
import { show } from './quote';

/**
 * --timeout's value: seconds, a plain decimal (5, 0.5, .5, 2.), more than 0.
 * Returns milliseconds, rounded, at least 1.
 */
export function parseTimeout(text: string): number {
  if (!/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(text)) {
    throw usage(`--timeout takes a number of seconds such as 5 or 0.5, not ${show(text)}`);
  }
  const s = Number(text);
  if (!(s > 0)) throw usage(`--timeout ${show(text)} must be more than 0 seconds`);
  if (!Number.isFinite(s * 1000)) throw usage(`--timeout ${show(text)} is too large`);
  return Math.max(1, Math.round(s * 1000));
}

/** A timeout in milliseconds as a caller gives it: undefined (no limit) or a finite number more than 0. */
export function checkTimeoutMs(ms: unknown): number | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== 'number' || !(ms > 0) || !Number.isFinite(ms)) {
    throw usage(`the timeout must be a positive number of milliseconds, not ${show(String(ms))}`);
  }
  return ms;
}
