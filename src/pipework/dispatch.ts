// Any request to its operation, with the same options for all: what a batch
// line runs (the CLI's command modules call the operations themselves).
import { PipeworkError } from '../errors';
import type { Request } from '../request/types';
import type { Namespace } from './namespace';
import * as ops from './operations';
import { waitForLink } from './wait';

export function runRequest(req: Request, host: Namespace, opts: ops.RunOptions): Promise<ops.Outcome<unknown>> {
  const dryRun = !!opts.dryRun;
  switch (req.op) {
    case 'attach':
      return ops.attach(req, host, opts);
    case 'detach':
      return ops.detach(req, host, opts);
    case 'gc':
      return ops.gc(host, opts, req);
    case 'route':
      return ops.route(req, opts);
    case 'rule':
      return ops.rule(req, opts);
    case 'tc':
      return ops.tc(req, opts);
    case 'show':
      return ops.show(req.guest, opts).then((result) => ({ result, plan: [], dryRun }));
    case 'wait':
      return waitForLink(req.guestIf, { timeoutMs: req.timeoutMs, nsFd: host.nsFd, signal: opts.signal }).then((result) => ({ result, plan: [], dryRun: false }));
    case 'batch':
      throw new PipeworkError('USAGE', 'a batch cannot contain another batch');
  }
}
