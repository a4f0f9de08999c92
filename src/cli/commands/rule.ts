// pipework rule <guest> [-4|-6] add|del|show ...: `ip rule` inside the guest, in netlink.
import { rule } from '../../pipework/operations';
import { formatRuleResult, type RuleResult } from '../../pipework/rule';
import { ruleRequest, type RuleRequest } from '../../request';
import { formatChange, type Command } from '../command';
import { guestAndWords } from './route';

const USAGE = 'pipework rule <guest> [-4|-6] add|del|show ...';

export const ruleCommand: Command<RuleRequest, RuleResult> = {
  op: 'rule',
  word: 'rule',
  usage: [USAGE],
  options: [],
  help: `\
Rule (ip rule inside the guest, as the original; sent as netlink):
  rule <guest> [-4|-6] add|del [priority N] [not] [from PREFIX|all]
        [to PREFIX|all] [fwmark M[/MASK]] [iif IF] [oif IF] [table T | goto N]
                 pref and preference stand for priority, lookup for table
                   pipework rule web1 add from 198.51.100.33/32 table 1
  rule <guest> [-4|-6] show
                 list the rules as ip rule show prints them
`,

  parse(line) {
    const { guest, words } = guestAndWords(line, 'rule', USAGE);
    return ruleRequest(guest, words);
  },

  run: (request, ctx) => rule(request, { dryRun: ctx.dryRun, resolve: ctx.resolve }),

  format: (outcome) => {
    const text = formatRuleResult(outcome.result, outcome.dryRun);
    return outcome.result.command === 'show' ? text.replace(/\n$/, '') : formatChange(outcome, text);
  },
};
