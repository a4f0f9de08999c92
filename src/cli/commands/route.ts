// pipework route <guest> [-4|-6] COMMAND ...: `ip route` inside the guest, in netlink.
import { usage } from '../../errors';
import { route } from '../../pipework/operations';
import { formatRouteResult, type RouteResult } from '../../pipework/route';
import { routeRequest, show, type RouteRequest } from '../../request';
import { formatChange, type Command } from '../command';
import type { Line } from '../globals';

const USAGE = 'pipework route <guest> [-4|-6] add|del|replace|change|append|get|show|flush ...';

/** <guest> and the words after it, which belong to the grammar (a `-4` there is iproute2's, not an option of ours). */
export function guestAndWords(line: Line, word: string, usageLine: string): { guest: string; words: string[] } {
  const rest = line.args.slice(1);
  if (rest[0] === '--') rest.shift();
  const guest = rest[0];
  if (guest === undefined) throw usage(`missing guest after ${word}: ${usageLine}`);
  if (guest.startsWith('-')) throw usage(`${show(guest)} before the guest: ${usageLine} (write -- before a guest whose name starts with '-')`);
  return { guest, words: rest.slice(1) };
}

export const routeCommand: Command<RouteRequest, RouteResult> = {
  op: 'route',
  word: 'route',
  usage: [USAGE],
  options: [],
  help: `\
Route (ip route inside the guest, as the original; sent as netlink):
  route <guest> [-4|-6] add|del|replace|change|append [TYPE] PREFIX|default
        [via ADDR] [dev IF] [table T] [proto P] [scope S] [src ADDR]
        [metric N] [onlink] [mtu N]
                 TYPE: unicast (the default), blackhole, unreachable, prohibit;
                 T: main, local, default or a number
                   pipework route web1 add 203.0.113.0/24 via 198.51.100.1
  route <guest> get ADDR [from ADDR] [oif IF] [mark N]
                 the route the kernel picks, as ip route get prints it
  route <guest> show|flush [table T|all] [dev IF] [proto P] [scope S]
        [type TYPE]
                 list (or delete) routes as ip route show prints them
                   pipework route web1 show table all
`,

  parse(line) {
    const { guest, words } = guestAndWords(line, 'route', USAGE);
    return routeRequest(guest, words);
  },

  run: (request, ctx) => route(request, { dryRun: ctx.dryRun, resolve: ctx.resolve }),

  format: (outcome) => {
    const r = outcome.result;
    const text = formatRouteResult(r, outcome.dryRun);
    return r.command === 'show' || r.command === 'get' ? text.replace(/\n$/, '') : formatChange(outcome, text);
  },
};
