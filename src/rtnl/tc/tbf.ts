// tbf, the token bucket filter (linux/pkt_sched.h: struct tc_tbf_qopt,
// TCA_TBF_*), encoded as iproute2 6.1's tc/q_tbf.c does and printed as its
// tbf_print_opt prints (without -details).
import { attrMap, type MessageBuilder } from '../../netlink';
import { Clock, RATESPEC_LEN, USEC_PER_SEC, formatRate, formatSize, formatTime, rateSpec, rateTable, readRateSpec, toU32, writeRateSpec } from './core';
import { TCA_OPTIONS } from './constants';
import { joinText, type QdiscKind } from './kind';

export const TCA_TBF_PARMS = 1;
export const TCA_TBF_RTAB = 2;
export const TCA_TBF_PTAB = 3;
export const TCA_TBF_RATE64 = 4;
export const TCA_TBF_PRATE64 = 5;
export const TCA_TBF_BURST = 6;
export const TCA_TBF_PBURST = 7;

const TBF_QOPT_LEN = 2 * RATESPEC_LEN + 12;

export interface TbfSpec {
  kind: 'tbf';
  /** Bytes per second. */
  rate: number;
  /** Bytes (burst, buffer or maxburst). */
  burst: number;
  /** `burst B/CELL`: log2 of CELL. */
  burstCellLog?: number | undefined;
  /** Bytes queued at most; exactly one of limit and latency. */
  limit?: number | undefined;
  /** Microseconds a packet may wait: tc derives limit from it. */
  latency?: number | undefined;
  peakrate?: number | undefined;
  /** Bytes (mtu or minburst); needed with peakrate. */
  mtu?: number | undefined;
  mtuCellLog?: number | undefined;
  mpu?: number | undefined;
  overhead?: number | undefined;
}

const u32cap = (r: number): number => (r >= 2 ** 32 ? 0xffffffff : r);
const u64 = (v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(Math.trunc(v)));
  return b;
};

export const tbf: QdiscKind<TbfSpec> = {
  kind: 'tbf',

  options(b: MessageBuilder, s: TbfSpec, clock: Clock) {
    const rate64 = s.rate;
    const prate64 = s.peakrate ?? 0;
    const mtu = s.mtu ?? 0;
    const mpu = s.mpu ?? 0;
    const overhead = s.overhead ?? 0;
    const rate = u32cap(rate64);
    const peak = u32cap(prate64);
    let limit = s.limit ?? 0;
    if (limit === 0) {
      const latency = s.latency ?? 0;
      let lim = (rate64 * latency) / USEC_PER_SEC + s.burst;
      if (prate64) {
        const lim2 = (prate64 * latency) / USEC_PER_SEC + mtu;
        if (lim2 < lim) lim = lim2;
      }
      limit = toU32(lim);
    }
    const r = rateTable(clock, rate, mpu, s.burstCellLog ?? -1, mtu);
    const p = peak ? rateTable(clock, peak, mpu, s.mtuCellLog ?? -1, mtu) : undefined;
    const qopt = Buffer.alloc(TBF_QOPT_LEN);
    writeRateSpec(qopt, 0, rateSpec(rate, r.cellLog, mpu, overhead));
    if (p) writeRateSpec(qopt, RATESPEC_LEN, rateSpec(peak, p.cellLog, mpu, overhead));
    qopt.writeUInt32LE(limit, 24);
    qopt.writeUInt32LE(clock.xmittime(rate, s.burst), 28);
    qopt.writeUInt32LE(p ? clock.xmittime(peak, mtu) : 0, 32);
    b.nest(TCA_OPTIONS, (n) => {
      n.bytes(TCA_TBF_PARMS, qopt);
      n.u32(TCA_TBF_BURST, s.burst);
      if (rate64 >= 2 ** 32) n.bytes(TCA_TBF_RATE64, u64(rate64));
      n.bytes(TCA_TBF_RTAB, r.table);
      if (p) {
        if (prate64 >= 2 ** 32) n.bytes(TCA_TBF_PRATE64, u64(prate64));
        n.u32(TCA_TBF_PBURST, mtu);
        n.bytes(TCA_TBF_PTAB, p.table);
      }
    }, false);
  },

  decode(options, clock) {
    const a = options ? attrMap(options) : new Map<number, Buffer>();
    const parms = a.get(TCA_TBF_PARMS);
    if (!parms || parms.length < TBF_QOPT_LEN) return { json: {}, text: '' };
    const rateSpecR = readRateSpec(parms, 0);
    const peakSpec = readRateSpec(parms, RATESPEC_LEN);
    const limit = parms.readUInt32LE(24);
    const buffer = parms.readUInt32LE(28);
    const mtuTicks = parms.readUInt32LE(32);
    const r64 = a.get(TCA_TBF_RATE64);
    const p64 = a.get(TCA_TBF_PRATE64);
    const rate64 = r64 && r64.length >= 8 ? Number(r64.readBigUInt64LE(0)) : rateSpecR.rate;
    const prate64 = p64 && p64.length >= 8 ? Number(p64.readBigUInt64LE(0)) : peakSpec.rate;
    const json: Record<string, unknown> = {};
    const text: string[] = [];
    json.rate = rate64;
    text.push(`rate ${formatRate(rate64)}`);
    const burst = clock.xmitsize(rate64, buffer);
    json.burst = burst;
    text.push(`burst ${formatSize(burst)}`);
    // tc prints the peak rate on its text line only (PRINT_FP), not in JSON.
    if (prate64) {
      text.push(`peakrate ${formatRate(prate64)}`);
      if (mtuTicks || peakSpec.mpu) {
        const mtu = clock.xmitsize(prate64, mtuTicks);
        json.minburst = mtu;
        text.push(`minburst ${formatSize(mtu)}`);
      }
    }
    let latency = USEC_PER_SEC * (limit / rate64) - clock.tick2time(buffer);
    if (prate64) {
      const lat2 = USEC_PER_SEC * (limit / prate64) - clock.tick2time(mtuTicks);
      if (lat2 > latency) latency = lat2;
    }
    if (latency >= 0) {
      json.lat = Math.trunc(latency);
      text.push(`lat ${formatTime(latency)}`);
    } else {
      json.limit = limit;
      text.push(`limit ${formatSize(limit)}`);
    }
    if (rateSpecR.overhead) {
      json.overhead = rateSpecR.overhead;
      text.push(`overhead ${rateSpecR.overhead}`);
    }
    return { json, text: joinText(text) };
  },
};
