// Which address source an attach uses. Adding one (DHCP): a file, and a line
// here before the static source, which takes whatever is left.
import type { AttachRequest } from '../../request/types';
import type { AddressSource } from './source';
import { dhcpAddress } from './dhcp';
import { staticAddress } from './static';

const SOURCES: readonly AddressSource[] = [dhcpAddress, staticAddress];

export function pickSource(req: AttachRequest): AddressSource {
  return SOURCES.find((s) => s.claims(req))!;
}

export type { AddressSource } from './source';
