// waitRequest: `pipework --wait [-i cif] [--timeout S]` and the library's wait().
import { DEFAULT_GUEST_IF, NAME_LABEL, checkInterfaceName } from './names';
import { checkTimeoutMs } from './timeout';
import type { WaitRequest } from './types';

export interface WaitRequestOptions {
  /** The interface to wait for (default eth1); the CLI's -i. */
  guestIf?: string | undefined;
  /** Give up after this many milliseconds; undefined waits forever, as the original does. */
  timeoutMs?: number | undefined;
}

export function waitRequest(o: WaitRequestOptions = {}): WaitRequest {
  const request: WaitRequest = { op: 'wait', guestIf: checkInterfaceName(o.guestIf ?? DEFAULT_GUEST_IF, NAME_LABEL.guestIf) };
  const timeoutMs = checkTimeoutMs(o.timeoutMs);
  if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
  return request;
}
