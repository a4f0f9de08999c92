// tc's arithmetic (iproute2 6.1, tc/tc_core.c and lib/json_print*.c): the
// kernel's packet-scheduler clock, transmission times in its ticks, rate
// tables, and the way `tc` prints rates, sizes and times. Everything here is
// done in IEEE doubles in the order tc does it, so that the values we send
// (and print) are the very ones tc computes for the same words.

/** The four numbers of /proc/net/psched (net/sched/sch_api.c, psched_show). */
export interface Psched {
  /** NSEC_PER_USEC */
  t2us: number;
  /** PSCHED_TICKS2NS(1): nanoseconds per tick */
  us2t: number;
  /** Always 1000000 since Linux 2.6.31. */
  clockRes: number;
  /** NSEC_PER_SEC / hrtimer_resolution: 1000000000 with high-resolution timers, else HZ. */
  hz: number;
}

/**
 * What every kernel since 2.6.31 with high-resolution timers prints
 * ("000003e8 00000040 000f4240 3b9aca00"): 64 ns ticks. Used when
 * /proc/net/psched cannot be read (where tc itself would fall back to a
 * 1-microsecond tick, which no current kernel has).
 */
export const PSCHED_ASSUMED: Readonly<Psched> = { t2us: 1000, us2t: 64, clockRes: 1000000, hz: 1000000000 };

/** /proc/net/psched's text ("%08x %08x %08x %08x"); undefined when it is not that. */
export function parsePsched(text: string): Psched | undefined {
  const m = /^\s*([0-9a-f]{1,8})\s+([0-9a-f]{1,8})\s+([0-9a-f]{1,8})\s+([0-9a-f]{1,8})\s*$/i.exec(text);
  if (!m) return undefined;
  const [t2us, us2t, clockRes, hz] = m.slice(1).map((h) => parseInt(h, 16)) as [number, number, number, number];
  if (us2t === 0 || clockRes === 0) return undefined;
  return { t2us, us2t, clockRes, hz };
}

/** TIME_UNITS_PER_SEC: tc's times are microseconds. */
export const USEC_PER_SEC = 1000000;

/**
 * C's conversion of a double to `unsigned int`, as gcc does it on x86-64
 * (truncate to a 64-bit integer, keep the low 32 bits), for the few places
 * where tc lets a value overflow without a check.
 */
export function toU32(x: number): number {
  if (!Number.isFinite(x)) return 0;
  const t = Math.trunc(x);
  if (t >= 0 && t < 2 ** 32) return t;
  if (Math.abs(t) >= 2 ** 63) return 0;
  return Number(BigInt(t) & 0xffffffffn);
}

/** The scheduler clock as tc_core_init() derives it. */
export class Clock {
  readonly tickInUsec: number;
  readonly clockFactor: number;

  constructor(readonly psched: Readonly<Psched> = PSCHED_ASSUMED) {
    // tc's compatibility hack: a clock_res of 1 GHz advertises t2us 1000 meaning 1.
    const t2us = psched.clockRes === 1000000000 ? psched.us2t : psched.t2us;
    this.clockFactor = psched.clockRes / USEC_PER_SEC;
    this.tickInUsec = (t2us / psched.us2t) * this.clockFactor;
  }

  /** tc_core_time2big: the time would not fit a u32 tick count. */
  time2big(usec: number): boolean {
    return Math.trunc(usec * this.tickInUsec) >= 2 ** 32;
  }

  time2tick(usec: number): number {
    return toU32(toU32(usec) * this.tickInUsec);
  }

  tick2time(ticks: number): number {
    return toU32(ticks / this.tickInUsec);
  }

  /** tc_calc_xmittime: ticks to send `size` bytes at `rate` bytes/s. */
  xmittime(rate: number, size: number): number {
    return this.time2tick(toU32(USEC_PER_SEC * (size / rate)));
  }

  /** tc_calc_xmitsize: bytes sent in `ticks` at `rate` bytes/s. */
  xmitsize(rate: number, ticks: number): number {
    return toU32((rate * this.tick2time(ticks)) / USEC_PER_SEC);
  }
}

/** TC_LINKLAYER_ETHERNET (linux/pkt_sched.h): the only link layer we accept. */
export const TC_LINKLAYER_ETHERNET = 1;

/** struct tc_ratespec's fields (linux/pkt_sched.h). */
export interface RateSpec {
  cellLog: number;
  linklayer: number;
  overhead: number;
  cellAlign: number;
  mpu: number;
  rate: number;
}

export const RATESPEC_LEN = 12;

export function writeRateSpec(b: Buffer, at: number, r: RateSpec): void {
  b.writeUInt8(r.cellLog, at);
  b.writeUInt8(r.linklayer, at + 1);
  b.writeUInt16LE(r.overhead, at + 2);
  b.writeInt16LE(r.cellAlign, at + 4);
  b.writeUInt16LE(r.mpu, at + 6);
  b.writeUInt32LE(r.rate >>> 0, at + 8);
}

export function readRateSpec(b: Buffer, at: number): RateSpec {
  return {
    cellLog: b.readUInt8(at),
    linklayer: b.readUInt8(at + 1),
    overhead: b.readUInt16LE(at + 2),
    cellAlign: b.readInt16LE(at + 4),
    mpu: b.readUInt16LE(at + 6),
    rate: b.readUInt32LE(at + 8),
  };
}

/**
 * tc_calc_rtable for Ethernet: rtab[i] = ticks to send ((i+1) << cell_log)
 * bytes (at least mpu). A cell_log of -1 is the smallest that covers mtu
 * (2047 when 0) in 256 cells. The kernel no longer reads the table (v3.8)
 * but still requires it, so it must be the same bytes tc sends.
 */
export function rateTable(clock: Clock, rate: number, mpu: number, cellLog: number, mtu: number): { table: Buffer; cellLog: number } {
  if (mtu === 0) mtu = 2047;
  if (cellLog < 0) {
    cellLog = 0;
    while (mtu >>> cellLog > 255) cellLog++;
  }
  const table = Buffer.alloc(1024);
  for (let i = 0; i < 256; i++) {
    const size = Math.max(((i + 1) << cellLog) >>> 0, mpu);
    table.writeUInt32LE(clock.xmittime(rate, size), i * 4);
  }
  return { table, cellLog };
}

/** The rate spec tc_calc_rtable leaves (cell_align -1, Ethernet). */
export function rateSpec(rate: number, cellLog: number, mpu: number, overhead: number): RateSpec {
  return { cellLog, linklayer: TC_LINKLAYER_ETHERNET, overhead, cellAlign: -1, mpu, rate };
}

// ---- printing, as tc prints --------------------------------------------

/** C's printf %.<p>g. */
export function formatG(x: number, p = 6): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const [mant, expText] = x.toExponential(p - 1).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= p) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(x.toFixed(Math.max(0, p - 1 - exp)));
}

/** C's rint(): round half to even. */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** print_rate (SI units): bytes/s as tc prints them, '1Mbit', '32Kbit', '1500bit'. */
export function formatRate(bytesPerSec: number): string {
  let rate = BigInt(Math.trunc(bytesPerSec)) << 3n;
  const units = ['', 'K', 'M', 'G', 'T'];
  let i = 0;
  for (; i < units.length - 1; i++) {
    if (rate < 1000n) break;
    if (rate % 1000n !== 0n && rate < 1000000n) break;
    rate /= 1000n;
  }
  return `${rate}${units[i]}bit`;
}

/** sprint_size: '4Kb', '1600b', '2Mb'. */
export function formatSize(sz: number): string {
  const kilo = 1024;
  const mega = kilo * kilo;
  if (sz >= mega && Math.abs(mega * rint(sz / mega) - sz) < 1024) return `${formatG(rint(sz / mega))}Mb`;
  if (sz >= kilo && Math.abs(kilo * rint(sz / kilo) - sz) < 16) return `${formatG(rint(sz / kilo))}Kb`;
  return `${toU32(sz)}b`;
}

/** sprint_time (a u32 of microseconds): '400ms', '1s', '250us'. */
export function formatTime(usec: number): string {
  const t = toU32(usec);
  if (t >= USEC_PER_SEC) return `${formatG(t / USEC_PER_SEC, 3)}s`;
  if (t >= USEC_PER_SEC / 1000) return `${formatG(t / (USEC_PER_SEC / 1000), 3)}ms`;
  return `${t}us`;
}

/** C's %#x. */
export function hex0x(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}
