// pipework show <guest>: the guest's interfaces, addresses and routes.
import { usage } from '../../errors';
import { show as showGuest } from '../../pipework/operations';
import { formatShow, type ShowResult } from '../../pipework/show';
import { show, showRequest, type ShowRequest } from '../../request';
import { scanArgs } from '../args';
import type { Command } from '../command';

const USAGE = 'pipework show <guest>';

export const showCommand: Command<ShowRequest, ShowResult> = {
  op: 'show',
  word: 'show',
  usage: [USAGE],
  options: [],
  help: `\
Show:
  show <guest>   list the guest's interfaces and addresses
                   pipework show web1
`,

  parse(line) {
    const { positionals: pos } = scanArgs(line, this.options);
    const guest = pos[1];
    if (guest === undefined) throw usage(`missing guest after show: ${USAGE}`);
    if (pos.length > 2) throw usage(`unexpected argument ${show(pos[2]!)} after show ${show(guest)}`);
    return showRequest({ guest });
  },

  // It reads only the guest; ctx.host was opened anyway, so that a wrong --host-netns fails here as everywhere.
  run: async (request, ctx) => ({ result: await showGuest(request.guest, { resolve: ctx.resolve }), plan: [], dryRun: ctx.dryRun }),

  format: (outcome) => formatShow(outcome.result),
};
