// pipework gc: remove the host-side devices pipework made whose guest is gone.
import { usage } from '../../errors';
import type { GcResult } from '../../pipework/gc';
import { gc } from '../../pipework/operations';
import { gcRequest, show, type GcRequest } from '../../request';
import { scanArgs } from '../args';
import { formatChange, type Command } from '../command';

const USAGE = 'pipework gc';

export const gcCommand: Command<GcRequest, GcResult> = {
  op: 'gc',
  word: 'gc',
  usage: [USAGE],
  options: [],
  help: `\
Gc:
  gc             remove the host-side veths pipework made whose guest is gone
                 (container removed or stopped, netns or process gone); with
                 --dry-run only list them. A macvlan has no host side (it
                 dies with its guest): gc has nothing to do for it. A NIC
                 moved in with --direct-phys returns to the host when its
                 guest dies, under its guest-side name: gc gives it back its
                 name. Open vSwitch ports pipework added (found by their
                 external_ids) whose veth or guest is gone go too
                   pipework gc --dry-run
`,

  parse(line, globals) {
    const { positionals: pos } = scanArgs(line, this.options);
    if (pos.length > 1) throw usage(`unexpected argument ${show(pos[1]!)} after gc: ${USAGE} [--host-netns NS] [--dry-run]`);
    return gcRequest({ ovsdb: globals.ovsdb });
  },

  run: (request, ctx) => gc(ctx.host, { dryRun: ctx.dryRun, resolve: ctx.resolve, signal: ctx.signal }, request),

  format: (outcome) => formatChange(outcome, outcome.result.message),
};
