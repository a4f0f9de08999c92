// prio (linux/pkt_sched.h: struct tc_prio_qopt, TCA_PRIO_MQ), encoded as
// iproute2 6.1's tc/q_prio.c does: TCA_OPTIONS holds the struct itself and
// then a nested TCA_OPTIONS with the attributes (addattr_nest_compat).
import { attrMap } from '../../netlink';
import { TCA_OPTIONS } from './constants';
import { joinText, type QdiscKind } from './kind';

export const TCA_PRIO_MQ = 1;
/** TC_PRIO_MAX + 1 */
export const PRIOMAP_LEN = 16;
const PRIO_QOPT_LEN = 4 + PRIOMAP_LEN;
/** tc's (and the kernel's) default band for each of the 16 priorities. */
export const DEFAULT_PRIOMAP: readonly number[] = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

export interface PrioSpec {
  kind: 'prio';
  bands?: number | undefined;
  /** Bands for priorities 0, 1, ...; the rest keep DEFAULT_PRIOMAP's (tc does not fill them). */
  priomap?: number[] | undefined;
  multiqueue?: boolean | undefined;
}

export const prio: QdiscKind<PrioSpec> = {
  kind: 'prio',

  options(b, s) {
    const qopt = Buffer.alloc(PRIO_QOPT_LEN);
    qopt.writeInt32LE(s.bands ?? 3, 0);
    DEFAULT_PRIOMAP.forEach((band, i) => qopt.writeUInt8(s.priomap?.[i] ?? band, 4 + i));
    b.nest(TCA_OPTIONS, (n) => {
      n.struct(qopt);
      n.nest(TCA_OPTIONS, (m) => {
        if (s.multiqueue) m.flag(TCA_PRIO_MQ);
      }, false);
    }, false);
  },

  decode(options) {
    if (!options || options.length < PRIO_QOPT_LEN) return { json: {}, text: '' };
    const bands = options.readUInt32LE(0);
    const priomap = [...options.subarray(4, 4 + PRIOMAP_LEN)];
    // parse_rtattr_nested_compat: the attributes sit in a nested TCA_OPTIONS after the aligned struct.
    const nested = attrMap(options, PRIO_QOPT_LEN).get(TCA_OPTIONS);
    const mq = nested ? attrMap(nested).get(TCA_PRIO_MQ) : undefined;
    // tc sends it as a flag (no payload); a u8 0 would mean off.
    const multiqueue = !!mq && (mq.length === 0 || mq.readUInt8(0) !== 0);
    const text = [`bands ${bands}`, `priomap ${priomap.map((p) => ` ${p}`).join('')}`];
    if (mq) text.push(`multiqueue: ${multiqueue ? 'on' : 'off'}`);
    return { json: { bands, priomap, multiqueue }, text: joinText(text) };
  },
};
