// netem, the network emulator (linux/pkt_sched.h: struct tc_netem_qopt and
// TCA_NETEM_*), encoded as iproute2 6.1's tc/q_netem.c does. Its TCA_OPTIONS
// is not a plain nest: the struct comes first, the attributes after it.
// Delays are in scheduler ticks; probabilities are fractions of UINT32_MAX.
import { attrMap } from '../../netlink';
import { Clock, formatG, formatRate, rint, formatTime } from './core';
import { TCA_OPTIONS } from './constants';
import { joinText, type QdiscKind } from './kind';

export const TCA_NETEM_CORR = 1;
export const TCA_NETEM_REORDER = 3;
export const TCA_NETEM_CORRUPT = 4;
export const TCA_NETEM_RATE = 6;
export const TCA_NETEM_ECN = 7;
export const TCA_NETEM_RATE64 = 8;

const QOPT_LEN = 24;
const UINT32_MAX = 0xffffffff;

/** A probability and, when given, its correlation: fractions in [0, 1] ('30%' is 0.3). */
export interface Chance {
  p: number;
  corr?: number | undefined;
}

export interface NetemSpec {
  kind: 'netem';
  /** Packets (tc's default 1000). */
  limit?: number | undefined;
  /** Microseconds. */
  delay?: { time: number; jitter?: number | undefined; corr?: number | undefined } | undefined;
  loss?: Chance | undefined;
  duplicate?: Chance | undefined;
  corrupt?: Chance | undefined;
  reorder?: Chance | undefined;
  gap?: number | undefined;
  /** Bytes per second, with the link's per-packet and per-cell overheads. */
  rate?: { rate: number; packetOverhead?: number | undefined; cellSize?: number | undefined; cellOverhead?: number | undefined } | undefined;
  ecn?: boolean | undefined;
}

/** set_percent: rint(fraction * UINT32_MAX). */
export const scaled = (fraction: number): number => rint(fraction * UINT32_MAX);

export const netem: QdiscKind<NetemSpec> = {
  kind: 'netem',

  options(b, s, clock: Clock) {
    const qopt = Buffer.alloc(QOPT_LEN);
    const reorder = s.reorder ? scaled(s.reorder.p) : 0;
    qopt.writeUInt32LE(s.delay ? clock.time2tick(s.delay.time) : 0, 0);
    qopt.writeUInt32LE(s.limit ?? 1000, 4);
    qopt.writeUInt32LE(s.loss ? scaled(s.loss.p) : 0, 8);
    // tc makes a reorder's gap 1 when none was given.
    qopt.writeUInt32LE(s.gap ?? (reorder ? 1 : 0), 12);
    qopt.writeUInt32LE(s.duplicate ? scaled(s.duplicate.p) : 0, 16);
    qopt.writeUInt32LE(s.delay?.jitter !== undefined ? clock.time2tick(s.delay.jitter) : 0, 20);
    // tc sends the correlations when a delay, loss, reorder or corrupt one was
    // given (a duplicate's alone does not make it send them: q_netem.c).
    const corrGiven = [s.delay, s.loss, s.reorder, s.corrupt].some((c) => c?.corr !== undefined);
    b.nest(TCA_OPTIONS, (n) => {
      n.struct(qopt);
      if (corrGiven) {
        const cor = Buffer.alloc(12);
        cor.writeUInt32LE(scaled(s.delay?.corr ?? 0), 0);
        cor.writeUInt32LE(scaled(s.loss?.corr ?? 0), 4);
        cor.writeUInt32LE(scaled(s.duplicate?.corr ?? 0), 8);
        n.bytes(TCA_NETEM_CORR, cor);
      }
      if (s.reorder) n.bytes(TCA_NETEM_REORDER, pair(s.reorder));
      if (s.ecn) n.u32(TCA_NETEM_ECN, 1);
      if (s.corrupt) n.bytes(TCA_NETEM_CORRUPT, pair(s.corrupt));
      if (s.rate) {
        const r = Buffer.alloc(16);
        if (s.rate.rate >= 2 ** 32) {
          const r64 = Buffer.alloc(8);
          r64.writeBigUInt64LE(BigInt(Math.trunc(s.rate.rate)));
          n.bytes(TCA_NETEM_RATE64, r64);
        }
        r.writeUInt32LE(s.rate.rate >= 2 ** 32 ? UINT32_MAX : s.rate.rate, 0);
        r.writeInt32LE(s.rate.packetOverhead ?? 0, 4);
        r.writeUInt32LE(s.rate.cellSize ?? 0, 8);
        r.writeInt32LE(s.rate.cellOverhead ?? 0, 12);
        n.bytes(TCA_NETEM_RATE, r);
      }
    }, false);
  },

  decode(options, clock) {
    if (!options || options.length < QOPT_LEN) return { json: {}, text: '' };
    const [latency, limit, loss, gap, duplicate, jitter] = [0, 4, 8, 12, 16, 20].map((o) => options.readUInt32LE(o)) as [number, number, number, number, number, number];
    const a = attrMap(options, QOPT_LEN);
    const cor = a.get(TCA_NETEM_CORR);
    const corr = (i: number): number => (cor && cor.length >= 12 ? cor.readUInt32LE(i * 4) : 0);
    const json: Record<string, unknown> = { limit };
    const text = [`limit ${limit}`];
    // tc -j prints fractions with %g; its text, percentage points with %g.
    const frac = (per: number): number => Number(formatG(per / UINT32_MAX));
    const pct = (per: number): string => `${formatG((100 * per) / UINT32_MAX)}%`;
    const chance = (key: string, label: string, per: number, c: number | undefined): void => {
      const o: Record<string, unknown> = { [key]: frac(per), correlation: frac(c ?? 0) };
      json[label] = o;
      text.push(`${key} ${pct(per)}${c ? ` ${pct(c)}` : ''}`);
    };
    if (latency) {
      json.delay = { delay: Number(formatG(clock.tick2time(latency) / 1000000)), jitter: Number(formatG(clock.tick2time(jitter) / 1000000)), correlation: frac(corr(0)) };
      text.push(`delay ${formatTime(clock.tick2time(latency))}${jitter ? `  ${formatTime(clock.tick2time(jitter))}` : ''}${jitter && corr(0) ? ` ${pct(corr(0))}` : ''}`);
    }
    if (loss) chance('loss', 'loss-random', loss, corr(1));
    if (duplicate) chance('duplicate', 'duplicate', duplicate, corr(2));
    const reorder = a.get(TCA_NETEM_REORDER);
    if (reorder && reorder.length >= 8 && reorder.readUInt32LE(0)) chance('reorder', 'reorder', reorder.readUInt32LE(0), reorder.readUInt32LE(4));
    const corrupt = a.get(TCA_NETEM_CORRUPT);
    if (corrupt && corrupt.length >= 8 && corrupt.readUInt32LE(0)) chance('corrupt', 'corrupt', corrupt.readUInt32LE(0), corrupt.readUInt32LE(4));
    const rate = a.get(TCA_NETEM_RATE);
    if (rate && rate.length >= 16 && rate.readUInt32LE(0)) {
      const r64 = a.get(TCA_NETEM_RATE64);
      const bps = r64 && r64.length >= 8 ? Number(r64.readBigUInt64LE(0)) : rate.readUInt32LE(0);
      const packetoverhead = rate.readInt32LE(4);
      const cellsize = rate.readUInt32LE(8);
      const celloverhead = rate.readInt32LE(12);
      json.rate = { rate: bps, packetoverhead, cellsize, celloverhead };
      text.push(`rate ${formatRate(bps)}${packetoverhead ? ` packetoverhead ${packetoverhead}` : ''}${cellsize ? ` cellsize ${cellsize}` : ''}${celloverhead ? ` celloverhead ${celloverhead}` : ''}`);
    }
    const ecn = a.get(TCA_NETEM_ECN);
    json.ecn = !!ecn && ecn.length >= 4 && ecn.readUInt32LE(0) !== 0;
    if (json.ecn) text.push('ecn');
    json.gap = gap;
    if (gap) text.push(`gap ${gap}`);
    return { json, text: joinText(text) };
  },
};

function pair(c: Chance): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(scaled(c.p), 0);
  b.writeUInt32LE(scaled(c.corr ?? 0), 4);
  return b;
}
