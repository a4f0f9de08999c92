// htb, the hierarchy token bucket (linux/pkt_sched.h: struct tc_htb_glob for
// the qdisc, struct tc_htb_opt for a class, TCA_HTB_*), encoded as iproute2
// 6.1's tc/q_htb.c does and printed as its htb_print_opt prints.
import { attrMap, type MessageBuilder } from '../../netlink';
import { Clock, RATESPEC_LEN, formatRate, formatSize, hex0x, rateSpec, rateTable, readRateSpec, writeRateSpec } from './core';
import { TCA_OPTIONS } from './constants';
import { joinText, type QdiscKind } from './kind';

export const TCA_HTB_PARMS = 1;
export const TCA_HTB_INIT = 2;
export const TCA_HTB_CTAB = 3;
export const TCA_HTB_RTAB = 4;
export const TCA_HTB_DIRECT_QLEN = 5;
export const TCA_HTB_RATE64 = 6;
export const TCA_HTB_CEIL64 = 7;

/** TC_HTB_PROTOVER, the version tc puts in tc_htb_glob. */
const HTB_VERSION = 3;
const HTB_GLOB_LEN = 20;
const HTB_OPT_LEN = 2 * RATESPEC_LEN + 20;
/** tc's default class mtu: "eth packet len". */
export const HTB_DEFAULT_MTU = 1600;

export interface HtbSpec {
  kind: 'htb';
  /** Minor id of the class unclassified packets go to (`default`, read as hex). */
  defaultClass?: number | undefined;
  r2q?: number | undefined;
  directQlen?: number | undefined;
}

export interface HtbClassSpec {
  kind: 'htb';
  /** Bytes per second. */
  rate: number;
  /** Bytes per second; the rate when absent. */
  ceil?: number | undefined;
  burst?: number | undefined;
  burstCellLog?: number | undefined;
  cburst?: number | undefined;
  cburstCellLog?: number | undefined;
  mtu?: number | undefined;
  mpu?: number | undefined;
  overhead?: number | undefined;
  prio?: number | undefined;
  quantum?: number | undefined;
}

const u32cap = (r: number): number => (r >= 2 ** 32 ? 0xffffffff : r);
const u64 = (v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(Math.trunc(v)));
  return b;
};

export const htb: QdiscKind<HtbSpec> = {
  kind: 'htb',

  options(b, s) {
    const glob = Buffer.alloc(HTB_GLOB_LEN);
    glob.writeUInt32LE(HTB_VERSION, 0);
    glob.writeUInt32LE(s.r2q ?? 10, 4);
    glob.writeUInt32LE(s.defaultClass ?? 0, 8);
    b.nest(TCA_OPTIONS, (n) => {
      n.bytes(TCA_HTB_INIT, glob);
      if (s.directQlen !== undefined) n.u32(TCA_HTB_DIRECT_QLEN, s.directQlen);
    }, false);
  },

  decode(options) {
    const a = options ? attrMap(options) : new Map<number, Buffer>();
    const json: Record<string, unknown> = {};
    const text: string[] = [];
    const init = a.get(TCA_HTB_INIT);
    if (init && init.length >= HTB_GLOB_LEN) {
      const defcls = init.readUInt32LE(8);
      json.r2q = init.readInt32LE(4);
      json.default = hex0x(defcls);
      json.direct_packets_stat = init.readUInt32LE(16);
      text.push(`r2q ${json.r2q}`, `default ${json.default}`, `direct_packets_stat ${json.direct_packets_stat}`);
    }
    const qlen = a.get(TCA_HTB_DIRECT_QLEN);
    if (qlen && qlen.length >= 4) {
      json.direct_qlen = qlen.readUInt32LE(0);
      text.push(`direct_qlen ${json.direct_qlen}`);
    }
    return { json, text: joinText(text) };
  },
};

/** The class's TCA_OPTIONS, as htb_parse_class_opt builds it; `hz` is /proc/net/psched's fourth number. */
export function htbClassOptions(b: MessageBuilder, s: HtbClassSpec, clock: Clock): void {
  const rate64 = s.rate;
  const ceil64 = s.ceil ?? s.rate;
  const mtu = s.mtu ?? HTB_DEFAULT_MTU;
  const mpu = s.mpu ?? 0;
  const overhead = s.overhead ?? 0;
  const hz = clock.psched.hz;
  // "compute minimal allowed burst from rate; mtu is added ... to have some
  // safeguard space": integer division of the u64 rate by get_hz().
  const buffer = s.burst ?? Math.floor(rate64 / hz) + mtu;
  const cbuffer = s.cburst ?? Math.floor(ceil64 / hz) + mtu;
  const rate = u32cap(rate64);
  const ceil = u32cap(ceil64);
  const r = rateTable(clock, rate, mpu, s.burstCellLog ?? -1, mtu);
  const c = rateTable(clock, ceil, mpu, s.cburstCellLog ?? -1, mtu);
  const opt = Buffer.alloc(HTB_OPT_LEN);
  writeRateSpec(opt, 0, rateSpec(rate, r.cellLog, mpu, overhead));
  writeRateSpec(opt, RATESPEC_LEN, rateSpec(ceil, c.cellLog, mpu, overhead));
  opt.writeUInt32LE(clock.xmittime(rate64, buffer), 24);
  opt.writeUInt32LE(clock.xmittime(ceil64, cbuffer), 28);
  opt.writeUInt32LE(s.quantum ?? 0, 32);
  opt.writeUInt32LE(0, 36); // level: the kernel's to set
  opt.writeUInt32LE(s.prio ?? 0, 40);
  b.nest(TCA_OPTIONS, (n) => {
    if (rate64 >= 2 ** 32) n.bytes(TCA_HTB_RATE64, u64(rate64));
    if (ceil64 >= 2 ** 32) n.bytes(TCA_HTB_CEIL64, u64(ceil64));
    n.bytes(TCA_HTB_PARMS, opt);
    n.bytes(TCA_HTB_RTAB, r.table);
    n.bytes(TCA_HTB_CTAB, c.table);
  }, false);
}

/** A class's options as `tc class show` prints them (tc -j prints htb classes as text too, in 6.1). */
export function decodeHtbClass(options: Buffer | undefined, clock: Clock): { json: Record<string, unknown>; text: string } {
  const a = options ? attrMap(options) : new Map<number, Buffer>();
  const parms = a.get(TCA_HTB_PARMS);
  if (!parms || parms.length < HTB_OPT_LEN) return { json: {}, text: '' };
  const r = readRateSpec(parms, 0);
  const c = readRateSpec(parms, RATESPEC_LEN);
  const r64 = a.get(TCA_HTB_RATE64);
  const c64 = a.get(TCA_HTB_CEIL64);
  const rate = r64 && r64.length >= 8 ? Number(r64.readBigUInt64LE(0)) : r.rate;
  const ceil = c64 && c64.length >= 8 ? Number(c64.readBigUInt64LE(0)) : c.rate;
  const level = parms.readUInt32LE(36);
  const prio = parms.readInt32LE(40);
  const burst = clock.xmitsize(rate, parms.readUInt32LE(24));
  const cburst = clock.xmitsize(ceil, parms.readUInt32LE(28));
  const json: Record<string, unknown> = {};
  const text: string[] = [];
  if (!level) {
    json.prio = prio;
    text.push(`prio ${prio}`);
  }
  Object.assign(json, { rate, ceil, burst, cburst });
  text.push(`rate ${formatRate(rate)}`);
  if (r.overhead) text.push(`overhead ${r.overhead}`);
  text.push(`ceil ${formatRate(ceil)}`, `burst ${formatSize(burst)}`, `cburst ${formatSize(cburst)}`);
  return { json, text: joinText(text) };
}
