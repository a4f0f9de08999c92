// fq_codel (linux/pkt_sched.h: TCA_FQ_CODEL_*), encoded as iproute2 6.1's
// tc/q_fq_codel.c does: only the values given, in its order; times in
// microseconds.
import { attrMap, type MessageBuilder } from '../../netlink';
import { formatSize, formatTime } from './core';
import { TCA_OPTIONS } from './constants';
import { joinText, type QdiscKind } from './kind';

export const TCA_FQ_CODEL_TARGET = 1;
export const TCA_FQ_CODEL_LIMIT = 2;
export const TCA_FQ_CODEL_INTERVAL = 3;
export const TCA_FQ_CODEL_ECN = 4;
export const TCA_FQ_CODEL_FLOWS = 5;
export const TCA_FQ_CODEL_QUANTUM = 6;
export const TCA_FQ_CODEL_CE_THRESHOLD = 7;
export const TCA_FQ_CODEL_DROP_BATCH_SIZE = 8;
export const TCA_FQ_CODEL_MEMORY_LIMIT = 9;

export interface FqCodelSpec {
  kind: 'fq_codel';
  /** Packets. */
  limit?: number | undefined;
  flows?: number | undefined;
  quantum?: number | undefined;
  /** Microseconds. */
  target?: number | undefined;
  interval?: number | undefined;
  ceThreshold?: number | undefined;
  /** `ecn` true, `noecn` false. */
  ecn?: boolean | undefined;
  /** Bytes. */
  memoryLimit?: number | undefined;
  dropBatch?: number | undefined;
}

export const fqCodel: QdiscKind<FqCodelSpec> = {
  kind: 'fq_codel',

  options(b: MessageBuilder, s: FqCodelSpec) {
    b.nest(TCA_OPTIONS, (n) => {
      // tc leaves out zeros (its "not given"), except for ecn/noecn.
      if (s.limit) n.u32(TCA_FQ_CODEL_LIMIT, s.limit);
      if (s.flows) n.u32(TCA_FQ_CODEL_FLOWS, s.flows);
      if (s.quantum) n.u32(TCA_FQ_CODEL_QUANTUM, s.quantum);
      if (s.interval) n.u32(TCA_FQ_CODEL_INTERVAL, s.interval);
      if (s.target) n.u32(TCA_FQ_CODEL_TARGET, s.target);
      if (s.ecn !== undefined) n.u32(TCA_FQ_CODEL_ECN, s.ecn ? 1 : 0);
      if (s.ceThreshold !== undefined && s.ceThreshold !== 0xffffffff) n.u32(TCA_FQ_CODEL_CE_THRESHOLD, s.ceThreshold);
      if (s.memoryLimit !== undefined && s.memoryLimit !== 0xffffffff) n.u32(TCA_FQ_CODEL_MEMORY_LIMIT, s.memoryLimit);
      if (s.dropBatch) n.u32(TCA_FQ_CODEL_DROP_BATCH_SIZE, s.dropBatch);
    }, false);
  },

  decode(options) {
    const a = options ? attrMap(options) : new Map<number, Buffer>();
    const u32 = (t: number): number | undefined => {
      const v = a.get(t);
      return v && v.length >= 4 ? v.readUInt32LE(0) : undefined;
    };
    const json: Record<string, unknown> = {};
    const text: string[] = [];
    const put = (key: string, v: number | undefined, shown: (v: number) => string): void => {
      if (v === undefined) return;
      json[key] = v;
      text.push(`${key} ${shown(v)}`);
    };
    put('limit', u32(TCA_FQ_CODEL_LIMIT), (v) => `${v}p`);
    put('flows', u32(TCA_FQ_CODEL_FLOWS), String);
    put('quantum', u32(TCA_FQ_CODEL_QUANTUM), String);
    put('target', u32(TCA_FQ_CODEL_TARGET), formatTime);
    put('ce_threshold', u32(TCA_FQ_CODEL_CE_THRESHOLD), formatTime);
    put('interval', u32(TCA_FQ_CODEL_INTERVAL), formatTime);
    put('memory_limit', u32(TCA_FQ_CODEL_MEMORY_LIMIT), formatSize);
    const ecn = u32(TCA_FQ_CODEL_ECN);
    if (ecn) {
      json.ecn = true;
      text.push('ecn');
    }
    put('drop_batch', u32(TCA_FQ_CODEL_DROP_BATCH_SIZE) || undefined, String);
    return { json, text: joinText(text) };
  },
};
