// Is the offered address already in use on the link? An ARP probe (RFC 5227
// §2.1.1: sender IP 0.0.0.0, target the address, target MAC zero), and any
// ARP from another MAC that claims the address within the wait means yes;
// RFC 2131 §4.4.1 has the client then DECLINE it.
//
// RFC 5227 spreads three probes over 1 to 2 s after a random delay of up to
// 1 s. One probe and a short wait is what this client does: on a bridge or a
// macvlan parent an owner answers in well under a millisecond, and an attach
// should not cost seconds; the wait is an option (probeMs).
import { ARPOP_REQUEST, ETH_P_ARP, arpPayload, broadcastMac, decodeArp, ethernetFrame, formatMac } from '../packet';
import { sys } from '../sys';

export async function addressInUse(o: { ifindex: number; nsFd?: number | undefined; mac: Buffer; address: string; waitMs: number; signal?: AbortSignal | undefined }): Promise<string | undefined> {
  const sock = sys().openPacket(o.ifindex, ETH_P_ARP, o.nsFd);
  const ours = formatMac(o.mac);
  const buf = Buffer.alloc(256);
  try {
    return await new Promise<string | undefined>((resolve) => {
      const done = (owner: string | undefined): void => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        resolve(owner);
      };
      const onAbort = (): void => done(undefined);
      const timer = setTimeout(() => done(undefined), o.waitMs);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      sock.poll(() => {
        for (;;) {
          let n: number;
          try {
            n = sock.recv(buf);
          } catch {
            return done(undefined);
          }
          if (n < 0) return;
          const a = decodeArp(Buffer.from(buf.subarray(0, Math.min(n, buf.length))));
          // Any ARP from another MAC whose sender is the address: its owner (RFC 5227 §2.1.1).
          if (a && a.senderMac !== ours && a.senderIp === o.address) return done(a.senderMac);
        }
      });
      const probe = arpPayload({ op: ARPOP_REQUEST, senderMac: o.mac, senderIp: '0.0.0.0', targetMac: Buffer.alloc(6), targetIp: o.address });
      sock.send(ethernetFrame(broadcastMac(), o.mac, ETH_P_ARP, probe));
    });
  } finally {
    sock.closeInBackground();
  }
}
