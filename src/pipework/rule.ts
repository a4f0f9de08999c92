// pipework rule <guest> ...: what the original runs as `ip netns exec <pid>
// ip rule ...`, as netlink requests from a socket inside the guest; show
// prints the rules as iproute2 6.1 does (ip/iprule.c print_rule).
import { guestLabel, type Guest } from '../netns';
import { formatIp } from '../packet';
import { TABLE_NAMES, PROTO_NAMES, addressBytes, nameOf } from '../request/inet-words';
import { ROUTE_TYPES } from '../request/route';
import { ruleWords, type RuleCommand, type RuleRequest } from '../request/rule';
import {
  AF_INET,
  AF_INET6,
  FIB_RULE_IIF_DETACHED,
  FIB_RULE_INVERT,
  FIB_RULE_OIF_DETACHED,
  FIB_RULE_UNRESOLVED,
  FR_ACT_GOTO,
  FR_ACT_NOP,
  FR_ACT_TO_TBL,
  RTPROT_KERNEL,
  decodeRule,
  ruleDumpMessage,
  ruleMessage,
  type Rule,
  type RulePrefix,
} from '../rtnl';
import { describeGuest, type Namespace } from './namespace';
import { change } from './plan';
import { summariseGuest, type GuestSummary, type Planned } from './results';

/** One rule as `ip -j rule show` prints it. Key order is print order. */
export type RuleJson = Record<string, unknown>;

export interface RuleResult {
  guest: GuestSummary;
  command: RuleCommand;
  /** add, del: the rule as iproute2 words. */
  rule?: string | undefined;
  /** show: the rules. */
  rules?: RuleJson[] | undefined;
}

export function ruleCommandLine(ns: Namespace, req: RuleRequest): string {
  const { options, words } = ruleWords(req);
  return `${ns.ip}${[...options, 'rule', ...words].join(' ')}`;
}

export async function planRule(req: RuleRequest, ns: Namespace, guest: Guest): Promise<Planned<RuleResult>> {
  const result: RuleResult = { guest: summariseGuest(guest), command: req.command };
  const family = req.family === 4 ? AF_INET : AF_INET6;
  if (req.command === 'show') {
    result.rules = (await ns.sock.dump(ruleDumpMessage(family))).map(decodeRule).filter((r) => r.family === family).map(ruleJson);
    return { steps: [], result };
  }
  const msg = encodeRuleRequest(req);
  result.rule = ruleWords(req).words.slice(1).join(' ');
  const title = `${req.command} rule ${result.rule} in ${describeGuest(guest)}`;
  return { steps: [change(title, ruleCommandLine(ns, req), async () => void (await ns.sock.request(msg)))], result };
}

/** The message the request sends: pure. */
export function encodeRuleRequest(req: RuleRequest): Buffer {
  const family = req.family === 4 ? AF_INET : AF_INET6;
  if (req.command === 'show') return ruleDumpMessage(family);
  const prefix = (p: RuleRequest['from']): RulePrefix | undefined =>
    p === undefined ? undefined : p === 'all' ? { length: 0 } : { bytes: addressBytes(p), length: p.length };
  return ruleMessage(req.command, {
    family,
    priority: req.priority,
    invert: req.not,
    src: prefix(req.from),
    dst: prefix(req.to),
    fwmark: req.fwmark,
    fwmask: req.fwmask,
    iif: req.iif,
    oif: req.oif,
    table: req.table,
    goto: req.goto,
  });
}

const hex = (n: number): string => (n === 0 ? '0' : `0x${n.toString(16)}`);

export function ruleJson(r: Rule): RuleJson {
  const hostLen = r.family === AF_INET ? 32 : 128;
  const j: RuleJson = { priority: r.priority ?? 0 };
  if (r.flags & FIB_RULE_INVERT) j.not = null;
  // An empty FRA_SRC (`from all`) prints as all, as no FRA_SRC does.
  if (r.src && r.src.length) {
    j.src = formatIp(r.src);
    if (r.srcLength !== hostLen) j.srclen = r.srcLength;
  } else if (r.srcLength) {
    j.src = '0';
    j.srclen = r.srcLength;
  } else {
    j.src = 'all';
  }
  if (r.dst && r.dst.length) {
    j.dst = formatIp(r.dst);
    if (r.dstLength !== hostLen) j.dstlen = r.dstLength;
  } else if (r.dstLength) {
    j.dst = '0';
    j.dstlen = r.dstLength;
  }
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    j.fwmark = hex(r.fwmark ?? 0);
    if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) j.fwmask = hex(r.fwmask);
  }
  if (r.iif !== undefined) {
    j.iif = r.iif;
    if (r.flags & FIB_RULE_IIF_DETACHED) j.iif_detached = null;
  }
  if (r.oif !== undefined) {
    j.oif = r.oif;
    if (r.flags & FIB_RULE_OIF_DETACHED) j.oif_detached = null;
  }
  if (r.table) j.table = nameOf(TABLE_NAMES, r.table);
  if (r.action === FR_ACT_GOTO) {
    j.goto = r.goto ?? 'none';
    if (r.flags & FIB_RULE_UNRESOLVED) j.unresolved = null;
  } else if (r.action === FR_ACT_NOP) {
    j.nop = null;
  } else if (r.action !== FR_ACT_TO_TBL) {
    j.action = Object.entries(ROUTE_TYPES).find(([, v]) => v === r.action)?.[0] ?? String(r.action);
  }
  if (r.protocol && r.protocol !== RTPROT_KERNEL) j.protocol = nameOf(PROTO_NAMES, r.protocol);
  return j;
}

const TEXT: Readonly<Record<string, (v: any, j: RuleJson) => string>> = {
  priority: (v) => `${v}:\t`,
  not: () => 'not ',
  src: (v) => `from ${v}`,
  srclen: (v) => `/${v}`,
  dst: (v) => ` to ${v}`,
  dstlen: (v) => `/${v}`,
  fwmark: (v) => ` fwmark ${v}`,
  fwmask: (v) => `/${v}`,
  iif: (v) => ` iif ${v}`,
  iif_detached: () => ' [detached]',
  oif: (v) => ` oif ${v}`,
  oif_detached: () => ' [detached]',
  table: (v) => ` lookup ${v}`,
  goto: (v) => ` goto ${v}`,
  unresolved: () => ' [unresolved]',
  nop: () => ' nop',
  action: (v) => ` ${v}`,
  protocol: (v) => ` proto ${v}`,
};

/** The line `ip rule show` prints for the rule (without its newline). */
export function ruleText(j: RuleJson): string {
  return Object.entries(j)
    .map(([k, v]) => TEXT[k]?.(v, j) ?? '')
    .join('');
}

export function formatRuleResult(r: RuleResult, dryRun: boolean): string {
  if (r.command === 'show') return (r.rules ?? []).map((j) => `${ruleText(j)}\n`).join('');
  return `${dryRun ? 'would ' : ''}${r.command} rule ${r.rule} in ${guestLabel(r.guest.kind, r.guest.name)}`;
}
