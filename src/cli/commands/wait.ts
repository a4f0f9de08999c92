// pipework --wait [-i cif] [--timeout S]: run inside the container, returns
// once <cif> is up. The original looped on /sys/class/net/<cif>/carrier.
import { usage } from '../../errors';
import { waitForLink, type WaitResult } from '../../pipework/wait';
import { parseTimeout, show, waitRequest, type WaitRequest } from '../../request';
import { scanArgs } from '../args';
import type { Command } from '../command';

const USAGE = 'pipework --wait [-i cif] [--timeout S]';

export const waitCommand: Command<WaitRequest, WaitResult> = {
  op: 'wait',
  flag: '--wait',
  usage: [USAGE],
  options: [
    { flag: '--wait' },
    { flag: '-i', value: 'a guest interface name' },
    { flag: '--timeout', value: 'a number of seconds, e.g. --timeout 5', inline: true },
  ],
  help: `\
Wait (run it inside the container, e.g. first thing in its entry point):
  --wait [-i cif] [--timeout S]
                 return once <cif> (default eth1) exists and is up: admin up,
                 carrier on (what the original read from
                 /sys/class/net/<cif>/carrier) and operational state up, or
                 unknown for drivers without one (lo, tun). It sleeps on link
                 notifications from the kernel; nothing polls.
                   pipework --wait
                   pipework --wait -i eth2 --timeout 30
                 --timeout S: give up after S seconds (decimals allowed, e.g.
                 0.5) with exit 1; without it the wait never ends, as the
                 original's. With --host-netns NS it waits inside NS instead.
`,

  parse(line, globals) {
    const { positionals: pos, options } = scanArgs(line, this.options);
    if (pos.length > 0) {
      throw usage(`unexpected argument ${show(pos[0]!)}: --wait takes no host interface, guest or address (${USAGE})`);
    }
    if (globals.dryRun) throw usage('--dry-run does not apply to --wait, which changes nothing');
    const timeout = options.get('--timeout');
    return waitRequest({ guestIf: options.get('-i')?.value, timeoutMs: timeout && parseTimeout(timeout.value) });
  },

  // "Here" is this process's namespace, or --host-netns NS.
  run: async (request, ctx) => ({
    result: await waitForLink(request.guestIf, { timeoutMs: request.timeoutMs, nsFd: ctx.host.nsFd, signal: ctx.signal }),
    plan: [],
    dryRun: false,
  }),

  format: (outcome) => `${outcome.result.name} is up`,
};
