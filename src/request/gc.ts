// gcRequest: gc takes little beyond the global options (host namespace, dry run).
import { checkOvsdb } from './ovs';
import type { GcRequest } from './types';

export interface GcOptions {
  /** Open vSwitch's database, unix:PATH, for ports to collect (the CLI's --ovsdb). */
  ovsdb?: string | undefined;
}

export function gcRequest(o: GcOptions = {}): GcRequest {
  const request: GcRequest = { op: 'gc' };
  if (o.ovsdb !== undefined) request.ovsdb = checkOvsdb(o.ovsdb);
  return request;
}
