// pipework tc <guest> <tc arguments...>: tc inside the guest, over netlink.
// The original ran `ip netns exec <pid> tc ...`; we take the common subset
// of tc's grammar (src/request/tc.ts) and send the same bytes tc sends.
import { usage } from '../../errors';
import { tc } from '../../pipework/operations';
import type { TcResult } from '../../pipework/tc';
import { show } from '../../request';
import { QDISC_KIND_NAMES, tcRequest, type TcRequest } from '../../request/tc';
import { formatChange, type Command } from '../command';

const USAGE = 'pipework tc <guest> qdisc|class add|replace|change|del|show ...';

export const tcCommand: Command<TcRequest, TcResult> = {
  op: 'tc',
  word: 'tc',
  usage: [USAGE],
  options: [],
  help: `\
Traffic control (tc inside the guest):
  tc <guest> qdisc add|replace|change|del dev IF root|ingress|parent X:Y
                 [handle X:] KIND OPTIONS...
  tc <guest> qdisc show [dev IF]
  tc <guest> class add|replace|change|del dev IF parent X:Y classid X:Y
                 htb rate R [ceil R] ...
  tc <guest> class show dev IF
                 what \`tc\` does, in the guest's namespace, with tc's words,
                 units (1mbit, 32kbit, 400ms, 30%) and bytes; qdisc kinds:
                 ${QDISC_KIND_NAMES.join(', ')}
                   pipework tc web1 qdisc add dev eth1 root netem loss 30%
                   pipework tc web1 qdisc add dev eth1 root htb default 10
`,

  parse(line) {
    const args = [...line.args];
    const dashes = args.indexOf('--');
    if (dashes >= 0) args.splice(dashes, 1);
    if (args[0] !== 'tc') throw usage(`unknown option ${show(args[0] ?? '')} before tc: ${USAGE}`);
    const guest = args[1];
    if (guest === undefined) throw usage(`missing guest after tc: ${USAGE}`);
    return tcRequest(guest, args.slice(2));
  },

  run: (request, ctx) => tc(request, { dryRun: ctx.dryRun, resolve: ctx.resolve }),

  format: (outcome) => (outcome.result.verb === 'show' ? outcome.result.message : formatChange(outcome, outcome.result.message)),
};
