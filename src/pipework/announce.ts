// Telling the neighbours where a new address lives: the frame `arping -A`
// sends for IPv4, an unsolicited neighbour advertisement for IPv6, sent from
// inside the guest so the bridge also learns the guest's port.
//
// Closing an AF_PACKET socket waits for an RCU grace period (~12 ms on our
// VMs, ten times the rest of an attach). The frame leaves at send(); the close
// happens afterwards on a thread of the addon's own, off the attach's critical
// path and off libuv's pool (which the embedding application needs).
import { gratuitousArp, unsolicitedNeighborAdvert } from '../packet';
import { sys } from '../sys';
import type { Family } from '../request/types';

export function announcementFrame(family: Family, mac: Uint8Array, address: string): Buffer {
  return family === 4 ? gratuitousArp(mac, address) : unsolicitedNeighborAdvert(mac, address);
}

/** Sends the frame out of ifindex in namespace nsFd; the socket closes in the background. */
export function sendFrame(nsFd: number, ifindex: number, frame: Buffer): void {
  const sock = sys().openPacket(ifindex, 0, nsFd);
  try {
    if (sock.send(frame) < 0) throw Object.assign(new Error('AF_PACKET send would block'), { code: 'EAGAIN' });
  } finally {
    sock.closeInBackground();
  }
}
