// showRequest: what `pipework show <guest>` and the library's show() ask for.
import { checkGuest } from './guest';
import type { ShowRequest } from './types';

export interface ShowOptions {
  guest: string;
}

export function showRequest(o: ShowOptions): ShowRequest {
  return { op: 'show', guest: checkGuest(o.guest) };
}
