// pipework detach [-i cif] [--force] <guest> | pipework detach --all <guest>
// The reverse the original never had (its users ran `ip link delete` inside the guest).
import { usage } from '../../errors';
import type { DetachResult } from '../../pipework/detach';
import { detach } from '../../pipework/operations';
import { detachRequest, show, type DetachRequest } from '../../request';
import { requireAfterFirst, scanArgs } from '../args';
import { formatChange, type Command } from '../command';

const USAGE = 'pipework detach [-i cif] [--force] <guest>';

export const detachCommand: Command<DetachRequest, DetachResult> = {
  op: 'detach',
  word: 'detach',
  usage: [USAGE, 'pipework detach --all <guest>'],
  options: [{ flag: '-i', value: 'a guest interface name' }, { flag: '--all' }, { flag: '--force' }],
  help: `\
Detach:
  detach [-i cif] [--force] <guest>
                 remove the guest's interface <cif> (default eth1) and its veth
                   pipework detach -i eth2 web1
                 Only an interface carrying pipework's mark (the alias
                 pipework:<kind>:<id>:<cif>) is removed; --force removes it
                 even without the mark
                   pipework detach --force -i eth2 web1
  detach --all <guest>
                 remove every interface pipework added to the guest (those
                 carrying its mark)
                   pipework detach --all web1
                 Detaching what is not there succeeds and says so.
`,

  parse(line, globals) {
    const { positionals: pos, options } = scanArgs(line, this.options);
    const guestIf = options.get('-i');
    if (guestIf) requireAfterFirst('-i', guestIf, pos);
    const guest = pos[1];
    if (guest === undefined) throw usage(`missing guest after detach: ${USAGE}`);
    if (pos.length > 2) throw usage(`unexpected argument ${show(pos[2]!)} after detach ${show(guest)}`);
    return detachRequest({ guest, guestIf: guestIf?.value, all: options.has('--all'), force: options.has('--force'), ovsdb: globals.ovsdb });
  },

  run: (request, ctx) => detach(request, ctx.host, { dryRun: ctx.dryRun, resolve: ctx.resolve, signal: ctx.signal }),

  format: (outcome) => formatChange(outcome, outcome.result.message),
};
