// pipework gc: remove the host-side devices pipework made whose guest is gone.
import { usage } from '../../errors';
import type { GcEntry, GcResult } from '../../pipework/gc';
import { gc } from '../../pipework/operations';
import { gcRequest, show, type GcRequest } from '../../request';
import { scanArgs } from '../args';
import { formatChange, type Command } from '../command';

const USAGE = 'pipework gc';

/** How many were kept: a count, or the list of them. */
function keptCount(kept: number | readonly GcEntry[]): number {
  return typeof kept === 'number' ? kept : kept.length;
}

function summary(r: GcResult, dryRun: boolean): string {
  const verb = dryRun ? 'would remove' : 'removed';
  return [
    r.removed.length ? `${verb} ${r.removed.map((e) => `${e.hostSide} (${e.reason})`).join(', ')}` : 'nothing to remove',
    `${keptCount(r.kept)} kept`,
    ...r.undecided.map((e) => `kept ${e.hostSide}: ${e.reason}`),
  ].join('; ');
}

export const gcCommand: Command<GcRequest, GcResult> = {
  op: 'gc',
  word: 'gc',
  usage: [USAGE],
  options: [],
  help: `\
Gc:
  gc             remove the host-side veths pipework made whose guest is gone
                 (container removed or stopped, netns or process gone); with
                 --dry-run only list them
                   pipework gc --dry-run
`,

  parse(line) {
    const { positionals: pos } = scanArgs(line, this.options);
    if (pos.length > 1) throw usage(`unexpected argument ${show(pos[1]!)} after gc: ${USAGE} [--host-netns NS] [--dry-run]`);
    return gcRequest();
  },

  run: (_request, ctx) => gc(ctx.host, { dryRun: ctx.dryRun, resolve: ctx.resolve }),

  format: (outcome) => formatChange(outcome, summary(outcome.result, outcome.dryRun)),
};
