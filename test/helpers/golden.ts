// Comparing our rtnetlink messages with iproute2's captured bytes, as the
// kernel receives them: seq and pid zeroed on both sides.
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../../src/netlink';

/** Bytes from hex text with any whitespace in it (the golden constants are grouped for reading). */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The 6 bytes of a MAC address written aa:bb:cc:dd:ee:ff. */
export const macBytes = (s: string): Buffer => Buffer.from(s.split(':').map((x) => parseInt(x, 16)));

/** What the kernel receives from our socket: flags | REQUEST | ACK (or DUMP), seq and pid zeroed. */
export function sent(msg: Buffer, dump = false): string {
  const m = Buffer.from(msg);
  m.writeUInt16LE(m.readUInt16LE(6) | NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK), 6);
  m.writeUInt32LE(0, 8);
  m.writeUInt32LE(0, 12);
  return m.toString('hex');
}

/** A captured message with seq and pid zeroed. */
export function received(h: string | Buffer): string {
  const m = typeof h === 'string' ? hex(h) : Buffer.from(h);
  m.writeUInt32LE(0, 8);
  m.writeUInt32LE(0, 12);
  return m.toString('hex');
}
