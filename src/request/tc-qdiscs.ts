// The options of each qdisc kind (and of an htb class), words to a spec, as
// iproute2 6.1's tc/q_<kind>.c read them: the same keywords, defaults and
// refusals, for the subset we encode. Keywords are whole words (tc also takes
// abbreviations such as `lat`; we refuse them by name).
import { unsupported, usage } from '../errors';
import type { FqCodelSpec, HtbClassSpec, HtbSpec, NetemSpec, PrioSpec, QdiscKindName, QdiscSpec, TbfSpec } from '../rtnl/tc';
import { show } from './quote';
import { parsePercent, parseRate, parseSigned, parseSize, parseSizeAndCell, parseTime, parseUnsigned } from './tc-units';
import { Words, keywords } from './words';

type Handler = (w: Words, k: string) => void;

const RATE = 'a rate (e.g. 1mbit, 32kbit, 125000bps)';
const SIZE = 'a size in bytes (e.g. 1500, 32kbit, 64k)';
const TIME = 'a time (e.g. 400ms, 1s, 50us)';
const PERCENT = 'a percentage (e.g. 30%)';

/** The next word read by `parse`, or a refusal naming it and what was expected. */
function value<T>(w: Words, k: string, expected: string, parse: (s: string) => T | undefined): T {
  const word = w.next(`${expected} after ${k}`);
  const v = parse(word);
  if (v === undefined) throw w.bad(word, `${expected} for ${k}`);
  return v;
}

function rate(w: Words, k: string): number {
  const word = w.next(`${RATE} after ${k}`);
  if (word.includes('%')) throw unsupported(`${w.what}: a rate as a share of the device's speed (${show(word)})`);
  const r = parseRate(word);
  if (r === undefined || r === 0) throw w.bad(word, `${RATE} for ${k}`);
  return r;
}

const u32 = (limit = 2 ** 32, base: 10 | 16 | 0 = 10) => (s: string): number | undefined => parseUnsigned(s, limit, base);

/** `linklayer ethernet` is the default; ATM's cell arithmetic is not done here. */
function linklayer(w: Words, k: string): void {
  const word = w.next(`a link layer after ${k}`);
  if (word === 'ethernet') return;
  if (word === 'atm' || word === 'adsl') throw unsupported(`${w.what}: linklayer ${word}`);
  throw w.bad(word, 'a link layer (ethernet)');
}

function tbf(w: Words): TbfSpec {
  const s: Partial<TbfSpec> = {};
  const burst: Handler = (w, k) => {
    const v = value(w, k, SIZE, parseSizeAndCell);
    s.burst = v.size;
    s.burstCellLog = v.cellLog;
  };
  const mtu: Handler = (w, k) => {
    const v = value(w, k, SIZE, parseSizeAndCell);
    s.mtu = v.size;
    s.mtuCellLog = v.cellLog;
  };
  keywords(w, {
    rate: (w, k) => void (s.rate = rate(w, k)),
    burst,
    buffer: burst,
    maxburst: burst,
    limit: (w, k) => {
      if (s.latency !== undefined) throw usage(`${w.what}: give limit or latency, not both`);
      s.limit = value(w, k, SIZE, parseSize);
    },
    latency: (w, k) => {
      if (s.limit !== undefined) throw usage(`${w.what}: give limit or latency, not both`);
      s.latency = value(w, k, TIME, parseTime);
    },
    peakrate: (w, k) => void (s.peakrate = rate(w, k)),
    mtu,
    minburst: mtu,
    mpu: (w, k) => void (s.mpu = value(w, k, SIZE, (x) => parseSize(x))),
    overhead: (w, k) => void (s.overhead = value(w, k, 'a number of bytes below 65536', u32(65536))),
    linklayer,
  });
  // tc's own checks, in its order (q_tbf.c).
  if (!s.rate) throw usage(`${w.what}: tbf needs rate`);
  if (!s.burst) throw usage(`${w.what}: tbf needs burst`);
  if (s.peakrate && !s.mtu) throw usage(`${w.what}: tbf with peakrate needs mtu`);
  if (!s.limit && !s.latency) throw usage(`${w.what}: tbf needs limit or latency`);
  return { kind: 'tbf', ...s } as TbfSpec;
}

function htb(w: Words): HtbSpec {
  const s: HtbSpec = { kind: 'htb' };
  keywords(w, {
    // tc reads the default class's minor as hex: `default 10` is 1:10.
    default: (w, k) => void (s.defaultClass = value(w, k, 'a class minor (hex, e.g. 10)', u32(2 ** 32, 16))),
    r2q: (w, k) => void (s.r2q = value(w, k, 'a number', u32())),
    direct_qlen: (w, k) => void (s.directQlen = value(w, k, 'a number of packets', u32())),
  });
  return s;
}

/** `class ... htb rate R [ceil R] [burst B] [cburst B] [mtu N] [mpu N] [overhead N] [prio N] [quantum N]`. */
export function htbClass(w: Words): HtbClassSpec {
  const s: Partial<HtbClassSpec> = {};
  const burst: Handler = (w, k) => {
    const v = value(w, k, SIZE, parseSizeAndCell);
    s.burst = v.size;
    s.burstCellLog = v.cellLog;
  };
  const cburst: Handler = (w, k) => {
    const v = value(w, k, SIZE, parseSizeAndCell);
    s.cburst = v.size;
    s.cburstCellLog = v.cellLog;
  };
  keywords(w, {
    rate: (w, k) => void (s.rate = rate(w, k)),
    ceil: (w, k) => void (s.ceil = rate(w, k)),
    burst,
    buffer: burst,
    maxburst: burst,
    cburst,
    cbuffer: cburst,
    cmaxburst: cburst,
    mtu: (w, k) => void (s.mtu = value(w, k, 'a number of bytes', u32())),
    mpu: (w, k) => void (s.mpu = value(w, k, 'a number of bytes below 65536', u32(65536))),
    overhead: (w, k) => void (s.overhead = value(w, k, 'a number of bytes below 65536', u32(65536))),
    prio: (w, k) => void (s.prio = value(w, k, 'a priority (a number)', u32())),
    quantum: (w, k) => void (s.quantum = value(w, k, 'a number of bytes', u32())),
    linklayer,
  });
  if (!s.rate) throw usage(`${w.what}: an htb class needs rate`);
  return { kind: 'htb', ...s } as HtbClassSpec;
}

function prio(w: Words): PrioSpec {
  const s: PrioSpec = { kind: 'prio' };
  keywords(w, {
    bands: (w, k) => void (s.bands = value(w, k, 'a number of bands (1 to 16)', (x) => {
      const n = parseUnsigned(x, 17);
      return n !== undefined && n >= 1 ? n : undefined;
    })),
    // tc checks each band against the bands given before it.
    priomap: (w) => {
      const map: number[] = [];
      const bands = s.bands ?? 3;
      while (w.peek() !== undefined && /^\d/.test(w.peek()!)) {
        const word = w.next('a band');
        const band = parseUnsigned(word, bands);
        if (band === undefined) throw w.bad(word, `a band below ${bands} (bands ${bands})`);
        if (map.length >= 16) throw w.bad(word, 'one of 16 priomap entries (there are 16 priorities)');
        map.push(band);
      }
      if (map.length === 0) throw usage(`${w.what}: missing bands after priomap`);
      s.priomap = map;
    },
    multiqueue: () => void (s.multiqueue = true),
  });
  return s;
}

function fqCodel(w: Words): FqCodelSpec {
  const s: FqCodelSpec = { kind: 'fq_codel' };
  const ecn: Handler = (_w, k) => void (s.ecn = k === 'ecn');
  keywords(w, {
    limit: (w, k) => void (s.limit = value(w, k, 'a number of packets', u32(2 ** 32, 0))),
    flows: (w, k) => void (s.flows = value(w, k, 'a number of flows', u32(2 ** 32, 0))),
    quantum: (w, k) => void (s.quantum = value(w, k, 'a number of bytes', u32(2 ** 32, 0))),
    drop_batch: (w, k) => void (s.dropBatch = value(w, k, 'a number of packets', u32(2 ** 32, 0))),
    target: (w, k) => void (s.target = value(w, k, TIME, parseTime)),
    interval: (w, k) => void (s.interval = value(w, k, TIME, parseTime)),
    ce_threshold: (w, k) => void (s.ceThreshold = value(w, k, TIME, parseTime)),
    memory_limit: (w, k) => void (s.memoryLimit = value(w, k, SIZE, parseSize)),
    ecn,
    noecn: ecn,
  });
  return s;
}

const startsNumber = (w: Words): boolean => /^\d/.test(w.peek() ?? '');

function netem(w: Words): NetemSpec {
  const s: NetemSpec = { kind: 'netem' };
  // PERCENT [CORRELATION]: the correlation when the next word starts with a digit (tc's NEXT_IS_NUMBER).
  const chance = (w: Words, k: string): { p: number; corr?: number } => {
    const p = value(w, k, PERCENT, parsePercent);
    return startsNumber(w) ? { p, corr: value(w, `${k} correlation`, PERCENT, parsePercent) } : { p };
  };
  const delay: Handler = (w, k) => {
    const time = value(w, k, TIME, parseTime);
    const d: NonNullable<NetemSpec['delay']> = { time };
    if (startsNumber(w)) {
      d.jitter = value(w, `${k} jitter`, TIME, parseTime);
      if (startsNumber(w)) d.corr = value(w, `${k} correlation`, PERCENT, parsePercent);
    }
    s.delay = d;
  };
  const loss: Handler = (w, k) => {
    const model = w.peek();
    if (model === 'state' || model === 'gemodel') throw unsupported(`${w.what}: netem loss ${model}`);
    if (model === 'random') w.next('random');
    s.loss = chance(w, k);
  };
  keywords(w, {
    limit: (w, k) => void (s.limit = value(w, k, 'a number of packets', parseSize)),
    delay,
    latency: delay,
    loss,
    drop: loss,
    duplicate: (w, k) => void (s.duplicate = chance(w, k)),
    corrupt: (w, k) => void (s.corrupt = chance(w, k)),
    reorder: (w, k) => void (s.reorder = chance(w, k)),
    gap: (w, k) => void (s.gap = value(w, k, 'a distance in packets', u32(2 ** 32, 0))),
    rate: (w, k) => {
      const r: NonNullable<NetemSpec['rate']> = { rate: rate(w, k) };
      if (/^-?\d/.test(w.peek() ?? '')) r.packetOverhead = value(w, 'rate overhead', 'a number of bytes', parseSigned);
      if (startsNumber(w)) r.cellSize = value(w, 'rate cellsize', 'a number of bytes', u32(2 ** 32, 0));
      if (/^-?\d/.test(w.peek() ?? '')) r.cellOverhead = value(w, 'rate celloverhead', 'a number of bytes', parseSigned);
      s.rate = r;
    },
    ecn: () => void (s.ecn = true),
    slot: () => {
      throw unsupported(`${w.what}: netem slot`);
    },
    distribution: () => {
      throw unsupported(`${w.what}: netem distribution tables`);
    },
  });
  // tc's checks (q_netem.c).
  if (s.reorder?.p && !s.delay?.time) throw usage(`${w.what}: netem reorder needs a delay`);
  if (!s.reorder?.p && s.gap) throw usage(`${w.what}: netem gap needs reorder`);
  if (s.ecn && !s.loss?.p) throw usage(`${w.what}: netem ecn needs loss`);
  return s;
}

function ingress(w: Words): QdiscSpec {
  // tc's ingress takes (and ignores) `handle X` after the word.
  if (w.accept('handle')) w.next('a handle after handle');
  w.end();
  return { kind: 'ingress' };
}

/** Each kind's options, by the word that names it. */
export const QDISC_OPTIONS: { readonly [K in QdiscKindName]: (w: Words) => Extract<QdiscSpec, { kind: K }> | QdiscSpec } = {
  tbf,
  htb,
  prio,
  fq_codel: fqCodel,
  netem,
  ingress,
};
