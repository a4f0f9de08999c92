// tc's units, read as iproute2 6.1 reads them (lib/utils_math.c get_rate64,
// get_size; lib/utils.c get_time; tc/tc_util.c parse_percent,
// get_size_and_cell): a decimal number, then a unit matched without regard
// to case. Each returns undefined for a word that is not one, and the caller
// names the word. The number is the part of C's strtod() people write
// (digits, a point, an exponent); hex floats, inf and nan are refused.

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

function split(word: string): { value: number; unit: string } | undefined {
  const m = NUMBER.exec(word);
  if (!m) return undefined;
  return { value: Number(m[0]), unit: word.slice(m[0].length).toLowerCase() };
}

// Bits per second per unit; SI and IEC, bits and bytes (`mbps` is megaBYTES, as in tc).
const RATE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  bit: 1,
  kibit: 1024,
  kbit: 1000,
  mibit: 1024 * 1024,
  mbit: 1000000,
  gibit: 1024 * 1024 * 1024,
  gbit: 1000000000,
  tibit: 1024 * 1024 * 1024 * 1024,
  tbit: 1000000000000,
  bps: 8,
  kibps: 8 * 1024,
  kbps: 8000,
  mibps: 8 * 1024 * 1024,
  mbps: 8000000,
  gibps: 8 * 1024 * 1024 * 1024,
  gbps: 8000000000,
  tibps: 8 * 1024 * 1024 * 1024 * 1024,
  tbps: 8000000000000,
};

/** A rate in bytes per second ('1mbit' is 125000); get_rate64 truncates to an integer. */
export function parseRate(word: string): number | undefined {
  const n = split(word);
  if (!n || !Object.hasOwn(RATE_UNITS, n.unit)) return undefined;
  const bytes = Math.trunc((n.value * RATE_UNITS[n.unit]!) / 8);
  return bytes < 2 ** 64 ? bytes : undefined;
}

// Bytes per unit, as get_size multiplies (integer C arithmetic: 1024/8 is 128).
const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 * 1024,
  mb: 1024 * 1024,
  g: 1024 * 1024 * 1024,
  gb: 1024 * 1024 * 1024,
  kbit: 128,
  mbit: 131072,
  gbit: 134217728,
};

/** A size in bytes ('32kbit' is 4096, '1k' 1024); refused, as tc does, unless it is a whole u32. */
export function parseSize(word: string): number | undefined {
  const n = split(word);
  if (!n || !Object.hasOwn(SIZE_UNITS, n.unit)) return undefined;
  const sz = n.value * SIZE_UNITS[n.unit]!;
  const u32 = Math.trunc(sz);
  // tc: "detect if an overflow happened" (*size != floor(sz)).
  return u32 === Math.floor(sz) && u32 < 2 ** 32 ? u32 : undefined;
}

/** `BYTES[/CELL]`: the size and, when given, log2 of CELL (a power of two). */
export function parseSizeAndCell(word: string): { size: number; cellLog?: number } | undefined {
  const slash = word.indexOf('/');
  const size = parseSize(slash < 0 ? word : word.slice(0, slash));
  if (size === undefined) return undefined;
  if (slash < 0) return { size };
  const cellText = word.slice(slash + 1);
  if (!/^\d{1,10}$/.test(cellText)) return undefined;
  const cell = Number(cellText);
  for (let i = 0; i < 32; i++) if (2 ** i === cell) return { size, cellLog: i };
  return undefined;
}

const TIME_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  s: 1000000,
  sec: 1000000,
  secs: 1000000,
  ms: 1000,
  msec: 1000,
  msecs: 1000,
  us: 1,
  usec: 1,
  usecs: 1,
};

/** A time in microseconds ('400ms' is 400000; a bare number is microseconds), truncated as tc does. */
export function parseTime(word: string): number | undefined {
  const n = split(word);
  if (!n || !Object.hasOwn(TIME_UNITS, n.unit)) return undefined;
  const t = Math.trunc(n.value * TIME_UNITS[n.unit]!);
  // tc stores it in an unsigned int without a check; a larger one is refused here.
  return t < 2 ** 32 ? t : undefined;
}

/** A percentage as a fraction ('30%' and '30' are 0.3), between 0 and 100 %. */
export function parsePercent(word: string): number | undefined {
  const n = split(word);
  if (!n || (n.unit !== '' && n.unit !== '%')) return undefined;
  const f = n.value / 100;
  return f >= 0 && f <= 1 ? f : undefined;
}

/** An unsigned integer below `limit`: decimal, or hex after 0x where tc reads base 0 (and bare hex for base 16). */
export function parseUnsigned(word: string, limit = 2 ** 32, base: 10 | 16 | 0 = 10): number | undefined {
  let v: number;
  if (base === 16 && /^(0x)?[0-9a-f]{1,8}$/i.test(word)) v = parseInt(word.replace(/^0x/i, ''), 16);
  else if (base === 0 && /^0x[0-9a-f]{1,8}$/i.test(word)) v = parseInt(word.slice(2), 16);
  else if (/^\d{1,10}$/.test(word)) v = Number(word);
  else return undefined;
  return v < limit ? v : undefined;
}

/** A signed 32-bit integer (netem's overheads). */
export function parseSigned(word: string): number | undefined {
  if (!/^-?\d{1,10}$/.test(word)) return undefined;
  const v = Number(word);
  return v >= -(2 ** 31) && v < 2 ** 31 ? v : undefined;
}
