// RTM_NEWRULE / DELRULE / GETRULE: policy routing rules (linux/fib_rules.h).
//
// Laid out as iproute2 6.1's ip/iprule.c lays out `ip rule add|del` for the
// words in the order `ip rule show` prints them:
//   [priority N] [not] [from P] [to P] [fwmark M[/K]] [iif D] [oif D] [table T | goto N]
// iproute2 appends each attribute as it reads its word, so in that order the
// attributes are PRIORITY, SRC, DST, FWMARK, FWMASK, IIFNAME, OIFNAME, then
// TABLE (past 255) or GOTO.
import { MessageBuilder, attrMap, readString, readU32, NLM_F_CREATE, NLM_F_EXCL } from '../netlink';
import { RT_TABLE_MAIN, RT_TABLE_UNSPEC } from './constants';

export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

// enum of FRA_* attributes
export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_PROTOCOL = 21;

// fib_rule_hdr.action
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_GOTO = 2;
export const FR_ACT_NOP = 3;

// fib_rule_hdr.flags
export const FIB_RULE_INVERT = 0x2;
export const FIB_RULE_UNRESOLVED = 0x4;
export const FIB_RULE_IIF_DETACHED = 0x8;
export const FIB_RULE_OIF_DETACHED = 0x10;

const FRH_LEN = 12;

/** A selector's prefix. `bytes` absent with length 0 is `all`, which iproute2 sends as an empty attribute. */
export interface RulePrefix {
  bytes?: Uint8Array | undefined;
  length: number;
}

export interface RuleSpec {
  family: number;
  priority?: number | undefined;
  invert?: boolean | undefined;
  src?: RulePrefix | undefined;
  dst?: RulePrefix | undefined;
  fwmark?: number | undefined;
  fwmask?: number | undefined;
  iif?: string | undefined;
  oif?: string | undefined;
  table?: number | undefined;
  goto?: number | undefined;
}

/** struct fib_rule_hdr */
function fibRuleHdr(f: { family: number; dstLength: number; srcLength: number; table: number; action: number; flags: number }): Buffer {
  const b = Buffer.alloc(FRH_LEN);
  b.writeUInt8(f.family, 0);
  b.writeUInt8(f.dstLength, 1);
  b.writeUInt8(f.srcLength, 2);
  b.writeUInt8(f.table, 4);
  b.writeUInt8(f.action, 7);
  b.writeUInt32LE(f.flags, 8);
  return b;
}

/**
 * `ip rule add` (RTM_NEWRULE, CREATE|EXCL) or `ip rule del` (RTM_DELRULE).
 * An add looks up a table (main when none is named) unless it is a goto; a
 * del sends action 0, which matches any action.
 */
export function ruleMessage(verb: 'add' | 'del', s: RuleSpec): Buffer {
  const add = verb === 'add';
  const table = s.table ?? (add && s.goto === undefined ? RT_TABLE_MAIN : RT_TABLE_UNSPEC);
  const action = s.goto !== undefined ? FR_ACT_GOTO : add ? FR_ACT_TO_TBL : 0;
  const b = new MessageBuilder(add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  b.struct(
    fibRuleHdr({
      family: s.family,
      dstLength: s.dst?.length ?? 0,
      srcLength: s.src?.length ?? 0,
      table: table < 256 ? table : RT_TABLE_UNSPEC,
      action,
      flags: s.invert ? FIB_RULE_INVERT : 0,
    }),
  );
  if (s.priority !== undefined) b.u32(FRA_PRIORITY, s.priority);
  if (s.src) b.bytes(FRA_SRC, s.src.bytes ?? Buffer.alloc(0));
  if (s.dst) b.bytes(FRA_DST, s.dst.bytes ?? Buffer.alloc(0));
  if (s.fwmark !== undefined) b.u32(FRA_FWMARK, s.fwmark);
  if (s.fwmask !== undefined) b.u32(FRA_FWMASK, s.fwmask);
  if (s.iif !== undefined) b.string(FRA_IIFNAME, s.iif);
  if (s.oif !== undefined) b.string(FRA_OIFNAME, s.oif);
  if (table >= 256) b.u32(FRA_TABLE, table);
  if (s.goto !== undefined) b.u32(FRA_GOTO, s.goto);
  return b.finish();
}

/** `ip rule show`: every rule of one family. */
export function ruleDumpMessage(family: number): Buffer {
  const b = new MessageBuilder(RTM_GETRULE, 0);
  b.struct(fibRuleHdr({ family, dstLength: 0, srcLength: 0, table: 0, action: 0, flags: 0 }));
  return b.finish();
}

export interface Rule {
  family: number;
  dstLength: number;
  srcLength: number;
  tos: number;
  /** FRA_TABLE when present, else the header's byte. */
  table: number;
  action: number;
  flags: number;
  priority?: number | undefined;
  src?: Buffer | undefined;
  dst?: Buffer | undefined;
  fwmark?: number | undefined;
  fwmask?: number | undefined;
  iif?: string | undefined;
  oif?: string | undefined;
  goto?: number | undefined;
  protocol?: number | undefined;
}

export function decodeRule(msg: Buffer): Rule {
  const a = attrMap(msg, 16 + FRH_LEN);
  const r: Rule = {
    family: msg.readUInt8(16),
    dstLength: msg.readUInt8(17),
    srcLength: msg.readUInt8(18),
    tos: msg.readUInt8(19),
    table: a.has(FRA_TABLE) ? readU32(a.get(FRA_TABLE)!) : msg.readUInt8(20),
    action: msg.readUInt8(23),
    flags: msg.readUInt32LE(24),
  };
  if (a.has(FRA_PRIORITY)) r.priority = readU32(a.get(FRA_PRIORITY)!);
  if (a.has(FRA_SRC)) r.src = Buffer.from(a.get(FRA_SRC)!);
  if (a.has(FRA_DST)) r.dst = Buffer.from(a.get(FRA_DST)!);
  if (a.has(FRA_FWMARK)) r.fwmark = readU32(a.get(FRA_FWMARK)!);
  if (a.has(FRA_FWMASK)) r.fwmask = readU32(a.get(FRA_FWMASK)!);
  if (a.has(FRA_IIFNAME)) r.iif = readString(a.get(FRA_IIFNAME)!);
  if (a.has(FRA_OIFNAME)) r.oif = readString(a.get(FRA_OIFNAME)!);
  if (a.has(FRA_GOTO)) r.goto = readU32(a.get(FRA_GOTO)!);
  if (a.has(FRA_PROTOCOL)) r.protocol = a.get(FRA_PROTOCOL)!.readUInt8(0);
  return r;
}
