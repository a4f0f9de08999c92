// RTM_NEWQDISC / DELQDISC / GETQDISC and RTM_NEWTCLASS / DELTCLASS: struct
// tcmsg (linux/rtnetlink.h), TCA_KIND (with its NUL, as tc sends it), then
// the kind's options. Laid out as iproute2 6.1's tc/tc_qdisc.c and
// tc/tc_class.c lay them out; pure.
import { MessageBuilder, attrMap, readString, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../netlink';
import type { Clock } from './core';
import { RTM_DELQDISC, RTM_DELTCLASS, RTM_GETQDISC, RTM_GETTCLASS, RTM_NEWQDISC, RTM_NEWTCLASS, TCA_KIND, TCA_OPTIONS } from './constants';
import { htbClassOptions, type HtbClassSpec } from './htb';
import { QDISC_KINDS, type QdiscSpec } from './kinds';

const TCMSG_LEN = 20;

export interface Tcmsg {
  ifindex: number;
  handle: number;
  parent: number;
  info?: number | undefined;
}

/** struct tcmsg: family (AF_UNSPEC), padding, ifindex, handle, parent, info. */
export function tcmsg(t: Tcmsg): Buffer {
  const b = Buffer.alloc(TCMSG_LEN);
  b.writeInt32LE(t.ifindex, 4);
  b.writeUInt32LE(t.handle >>> 0, 8);
  b.writeUInt32LE(t.parent >>> 0, 12);
  b.writeUInt32LE((t.info ?? 0) >>> 0, 16);
  return b;
}

/** How `tc qdisc|class VERB` asks: add creates only, replace creates or replaces, change modifies only. */
export type TcChange = 'add' | 'replace' | 'change';

export function changeFlags(verb: TcChange): number {
  return verb === 'add' ? NLM_F_EXCL | NLM_F_CREATE : verb === 'replace' ? NLM_F_CREATE | NLM_F_REPLACE : 0;
}

function withKind(b: MessageBuilder, spec: QdiscSpec | undefined, clock: Clock): Buffer {
  if (spec) {
    b.string(TCA_KIND, spec.kind);
    // Each kind's encoder takes its own spec; the registry keys them by kind.
    (QDISC_KINDS[spec.kind].options as (b: MessageBuilder, s: QdiscSpec, c: Clock) => void)(b, spec, clock);
  }
  return b.finish();
}

/** `tc qdisc add|replace|change dev IF (root|parent X:Y|ingress) [handle X:] KIND OPTIONS`. */
export function newQdisc(verb: TcChange, t: Tcmsg, spec: QdiscSpec, clock: Clock): Buffer {
  const b = new MessageBuilder(RTM_NEWQDISC, changeFlags(verb), 2048);
  b.struct(tcmsg(t));
  return withKind(b, spec, clock);
}

/** `tc qdisc del dev IF (root|parent X:Y|ingress) [handle X:] [KIND [OPTIONS]]`: tc sends the kind and options when given. */
export function delQdisc(t: Tcmsg, spec: QdiscSpec | undefined, clock: Clock): Buffer {
  const b = new MessageBuilder(RTM_DELQDISC, 0, 2048);
  b.struct(tcmsg(t));
  return withKind(b, spec, clock);
}

/** `tc qdisc show [dev IF]`: a dump; tc puts the ifindex in the request and filters the replies itself. */
export function dumpQdiscs(ifindex = 0): Buffer {
  const b = new MessageBuilder(RTM_GETQDISC, 0);
  b.struct(tcmsg({ ifindex, handle: 0, parent: 0 }));
  return b.finish();
}

export function dumpClasses(ifindex: number): Buffer {
  const b = new MessageBuilder(RTM_GETTCLASS, 0);
  b.struct(tcmsg({ ifindex, handle: 0, parent: 0 }));
  return b.finish();
}

/** `tc class add|replace|change dev IF parent X:Y|root classid X:Y htb OPTIONS`. */
export function newClass(verb: TcChange, t: Tcmsg, spec: HtbClassSpec, clock: Clock): Buffer {
  // tc_class.c asks a class replace with NLM_F_CREATE alone (tc_qdisc.c adds NLM_F_REPLACE for a qdisc).
  const flags = verb === 'replace' ? NLM_F_CREATE : changeFlags(verb);
  const b = new MessageBuilder(RTM_NEWTCLASS, flags, 4096);
  b.struct(tcmsg(t));
  b.string(TCA_KIND, spec.kind);
  htbClassOptions(b, spec, clock);
  return b.finish();
}

/** `tc class del dev IF classid X:Y [parent X:Y]`. */
export function delClass(t: Tcmsg): Buffer {
  const b = new MessageBuilder(RTM_DELTCLASS, 0);
  b.struct(tcmsg(t));
  return b.finish();
}

/** A qdisc or class as the kernel reports it. */
export interface TcObject {
  type: number;
  ifindex: number;
  handle: number;
  parent: number;
  /** A qdisc's reference count; a class's leaf qdisc handle. */
  info: number;
  kind: string;
  options?: Buffer | undefined;
}

export function decodeTc(msg: Buffer): TcObject {
  const at = 16;
  const a = attrMap(msg, at + TCMSG_LEN);
  const kind = a.get(TCA_KIND);
  return {
    type: msg.readUInt16LE(4),
    ifindex: msg.readInt32LE(at + 4),
    handle: msg.readUInt32LE(at + 8),
    parent: msg.readUInt32LE(at + 12),
    info: msg.readUInt32LE(at + 16),
    kind: kind ? readString(kind) : '',
    options: a.get(TCA_OPTIONS),
  };
}
