// An InfiniBand partition key, as the original reads the `@` text on an IPoIB
// host interface: hexadecimal without 0x (it runs `ip link add ... type ipoib
// pkey 0x$PKEY`), so `@8001` is pkey 0x8001. The 16-bit key's top bit is the
// full-membership bit; 0x0000 and 0x8000 are the invalid key (InfiniBand
// Architecture Specification, 10.9.1.2), which the kernel refuses too.
import { usage } from '../errors';
import { show } from './quote';

/** Whether the text is a valid partition key (1..4 hex digits, not the invalid key): `@8001` waits for the host interface. */
export const isPkeyText = (text: string): boolean => /^[0-9a-fA-F]{1,4}$/.test(text) && (parseInt(text, 16) & 0x7fff) !== 0;

export function parsePkey(text: string): number {
  if (!/^[0-9a-fA-F]{1,4}$/.test(text)) throw usage(`partition key ${show(text)} in ${show(`@${text}`)} is not 1..4 hex digits (as in @8001, pkey 0x8001)`);
  const n = parseInt(text, 16);
  if ((n & 0x7fff) === 0) throw usage(`partition key 0x${text} is the invalid key (0x0000 and 0x8000 are reserved)`);
  return n;
}
