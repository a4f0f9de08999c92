// The OVSDB framing and JSON-RPC message checks (src/ovsdb/framing.ts,
// rpc.ts) against mutated, spliced and random bytes, fed in random chunks.
// Seeds are messages as ovsdb-server sends them (a select result, echo, a
// failed operation, an error, an update notification). Every case must parse
// or be refused with an OvsdbParseError; nothing else may escape. A case must
// get the same verdict, and the same messages, however its bytes are cut.
// test/ovsdb.test.ts runs a fixed seed; `npm run fuzz` (bench/ovsdb-fuzz.ts) millions.
import { JsonStream, OvsdbParseError, classify } from '../src/ovsdb';
import { rng } from './dhcp-fuzz';

export const SAMPLES = [
  '{"id":1,"result":[{"rows":[{"_uuid":["uuid","0d7a5b8e-1f3c-4b5e-9d8a-2c6f7e8d9a0b"],"name":"ovsbr0","ports":["set",[["uuid","a"],["uuid","b"]]]}]}],"error":null}',
  '{"method":"echo","params":[],"id":"echo"}',
  '{"id":2,"result":[{"error":"constraint violation","details":"Transaction causes multiple rows in \\"Bridge\\" table to have identical values (\\"ovs0\\")"}],"error":null}',
  '{"id":3,"result":null,"error":"unknown database"}',
  '{"method":"update","params":[null,{"Interface":{"x":{"new":{"external_ids":["map",[["pipework.interface","veth1"]]]}}}}],"id":null}',
  // Not what a server sends: peer-chosen text with escapes, for the one-line rule of every refusal.
  '{"method":"ech\\no\\u2028","params":{"a":"\\r"},"id":1}',
];

export interface OvsdbFuzzStats {
  cases: number;
  /** Messages that framed and classified. */
  parsed: number;
  /** Cases or messages refused, by reason (the message without its particulars). */
  refused: Record<string, number>;
}

export class FuzzFailure extends Error {}

const SPECIAL = [...Buffer.from('{}[]"\\:, \n\xff\u00e9', 'utf8')];

/** One case's bytes: random, or 1-3 samples joined, then up to 3 byte flips, cuts or insertions. */
function caseBytes(r: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (r() < 0.15) return Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
  let bytes = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(SAMPLES)).join(r() < 0.5 ? '' : '\n'), 'utf8');
  for (let m = Math.floor(r() * 4); m > 0; m--) {
    const at = Math.floor(r() * bytes.length);
    const op = r();
    if (op < 0.4) bytes[at] = r() < 0.5 ? pick(SPECIAL) : Math.floor(r() * 256);
    else if (op < 0.7) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(r() * 8))]);
    else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick(SPECIAL)]), bytes.subarray(at)]);
  }
  return bytes;
}

/** Feeds bytes in chunks of 1-40; the messages, or the OvsdbParseError that stopped the stream. */
function frame(bytes: Buffer, chunk: () => number): { messages: unknown[]; error?: OvsdbParseError } {
  const s = new JsonStream();
  const messages: unknown[] = [];
  try {
    for (let at = 0; at < bytes.length; ) {
      const n = chunk();
      messages.push(...s.push(bytes.subarray(at, at + n)));
      at += n;
    }
    return { messages };
  } catch (e) {
    if (e instanceof OvsdbParseError) return { messages, error: e };
    throw e;
  }
}

const reason = (e: Error): string =>
  e.message
    .replace(/0x[0-9a-f]+/g, '0x..')
    .replace(/(not valid JSON): .*/s, '$1')
    .replace(/^(JSON-RPC request) .* (has no [\w ]+)$/s, '$1 X $2');

/** An error message reaches the user as one line (the CLI's contract): no control or line-breaking characters, bounded. */
const ONE_LINE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]{1,300}$/;

export function fuzz(n: number, seed: number): OvsdbFuzzStats {
  const r = rng(seed);
  const stats: OvsdbFuzzStats = { cases: n, parsed: 0, refused: {} };
  const refuse = (e: Error) => {
    if (!ONE_LINE.test(e.message)) throw new FuzzFailure(`seed ${seed}: an OvsdbParseError message is not one short line: ${JSON.stringify(e.message)}`);
    stats.refused[reason(e)] = (stats.refused[reason(e)] ?? 0) + 1;
  };
  for (let i = 0; i < n; i++) {
    const bytes = caseBytes(r);
    let cut: ReturnType<typeof frame>;
    try {
      cut = frame(bytes, () => 1 + Math.floor(r() * 40));
      for (const m of cut.messages) {
        try {
          classify(m);
          stats.parsed++;
        } catch (e) {
          if (!(e instanceof OvsdbParseError)) throw e;
          refuse(e);
        }
      }
    } catch (e) {
      throw new FuzzFailure(`seed ${seed}, case ${i} (${bytes.toString('hex')}) threw ${(e as Error)?.constructor?.name}: ${String(e)}`);
    }
    if (cut.error) refuse(cut.error);
    // However the bytes are cut, the same verdict; and, when they frame, the same messages (a
    // refused stream drops what its last chunk completed: the connection fails as a whole anyway).
    const whole = frame(bytes, () => bytes.length || 1);
    if (whole.error?.message !== cut.error?.message || (!cut.error && JSON.stringify(whole.messages) !== JSON.stringify(cut.messages))) {
      throw new FuzzFailure(`seed ${seed}, case ${i} (${bytes.toString('hex')}): cut in chunks it gave ${JSON.stringify(cut)}, whole ${JSON.stringify(whole)}`);
    }
  }
  return stats;
}
