// `@VID` on a physical NIC: the guest's macvlan or ipvlan hangs on the 802.1Q
// VLAN device NIC.VID instead of on the NIC, as in the original (`ip link add
// link NIC name NIC.VID mtu MTU type vlan id VID`, then the macvlan on it).
// The kinds that make such children (macvlan.ts, ipvlan.ts) ask planLower
// for the link to hang on and put its steps before their own.
//
// NIC.VID is a shared resource (shared.ts): an existing one is used if it is
// a VLAN device of that id on that NIC, and refused otherwise, as the
// original refuses one that "already exists but is not a VLAN device for tag
// VID"; a missing one is made (up) and marked as ours, and the detach of its
// last guest removes it (releaseLower), never one we did not make. Its users
// live in guests' namespaces, out of sight: uppers.ts asks the kernel.
import { PipeworkError } from '../../errors';
import { decodeVlanId, newLink, vlanData, type Link } from '../../rtnl';
import { IFNAMSIZ } from '../../request';
import type { AttachContext } from '../context';
import { sharedMark } from '../mark';
import type { Namespace } from '../namespace';
import { change, type Step } from '../plan';
import { createShared, releaseShared, type SharedLink } from '../shared';
import type { Attachment, Existing } from './kind';
import { kernelLacks } from './lacking';
import { parentOf } from './parent';
import { hasUppers } from './uppers';

/** The link a guest's child hangs on. For a VLAN device this attach makes, index is 0 until its step has run. */
export interface Lower {
  index: number;
  name: string;
  mtu: number;
  mac: Buffer | undefined;
  /** In the result's link phrase: 'eth1', or 'eth1.10 (VLAN 10 on eth1)'. */
  phrase: string;
}

const vlanName = (nic: string, vid: number): string => `${nic}.${vid}`;

/** Why an existing NIC.VID cannot serve, or undefined. */
function notOurVlan(l: Link, nic: Link, vid: number): string | undefined {
  if (l.kind !== 'vlan') return `is not a VLAN device (it is a ${l.kind ?? 'plain'} link)`;
  const id = decodeVlanId(l.infoData);
  if (id !== vid) return `is not a VLAN device for tag ${vid} (its tag is ${id ?? 'unknown'})`;
  if (l.link !== nic.index || l.linkNetnsid !== undefined) return `is a VLAN device for tag ${vid} on another parent than ${nic.name}`;
  return undefined;
}

function sharedVlan(host: Namespace, nic: Link, vid: number): SharedLink {
  const name = vlanName(nic.name, vid);
  return {
    kind: 'vlan',
    name,
    label: `VLAN device ${name}`,
    command: `${host.ip}link add link ${nic.name} name ${name} mtu ${nic.mtu} up type vlan id ${vid}`,
    create: () => newLink({ name, mtu: nic.mtu, link: nic.index, up: true, kind: 'vlan', infoData: vlanData(vid) }),
    refused: (e) => kernelLacks(e, 'make VLAN devices', 'the 8021q module (CONFIG_VLAN_8021Q)'),
    unusable: (l) => notOurVlan(l, nic, vid),
    inUse: (ns, index) => hasUppers(ns, index),
  };
}

/** The NIC itself, or its VLAN device for ctx.req.vlan: existing (checked) or to be made by the steps returned. */
export async function planLower(ctx: AttachContext, nic: Link): Promise<{ lower: Lower; steps: Step[] }> {
  const vid = ctx.req.vlan;
  if (vid === undefined) return { lower: { index: nic.index, name: nic.name, mtu: nic.mtu, mac: nic.mac, phrase: nic.name }, steps: [] };
  const name = vlanName(nic.name, vid);
  if (Buffer.byteLength(name) >= IFNAMSIZ) {
    throw new PipeworkError('HOSTIF_UNSUPPORTED', `VLAN ${vid} on ${nic.name}: its device's name ${name} would be longer than ${IFNAMSIZ - 1} bytes`);
  }
  const phrase = `${name} (VLAN ${vid} on ${nic.name})`;
  const existing = await ctx.host.linkByName(name);
  if (existing) {
    const why = notOurVlan(existing, nic, vid);
    if (why) throw new PipeworkError('LINK_EXISTS', `host interface ${name} already exists but ${why}`);
    return { lower: { index: existing.index, name, mtu: existing.mtu, mac: existing.mac, phrase }, steps: [] };
  }
  // A new VLAN device takes the NIC's MTU and MAC (net/8021q/vlan_netlink.c).
  const lower: Lower = { index: 0, name, mtu: nic.mtu, mac: nic.mac, phrase };
  const what = `VLAN device ${name}`;
  ctx.result.created = [what];
  const step = createShared(ctx.host, sharedVlan(ctx.host, nic, vid), (s) => {
    lower.index = s.index;
    // Another attach made it first: we only use it.
    ctx.result.created = s.created ? [what] : [];
    if (s.created) ctx.result.notes.push(`created ${what} (802.1Q tag ${vid} on ${nic.name}); the detach of its last guest removes it`);
  });
  return { lower, steps: [step] };
}

/** For a re-run: the link the guest's child should hang on now, or undefined when there is none (NIC.VID missing). */
export async function currentLower(ctx: AttachContext, nic: Link): Promise<Link | undefined> {
  return ctx.req.vlan === undefined ? nic : ctx.host.linkByName(vlanName(nic.name, ctx.req.vlan));
}

/** Detach: after the guest's child is gone, the VLAN device it hung on goes too if we made it and nobody else uses it. */
/** What a re-run compares for a link born on a NIC or its VLAN device (a macvlan, an ipvlan): its kind, parent and mode. */
export interface OnLower {
  /** 'macvlan', 'ipvlan', with its article for messages: 'a macvlan'. */
  kind: string;
  article: string;
  mode: string;
  /** The mode the link has, from its IFLA_INFO_DATA. */
  have: string | undefined;
  phrase(on: string, mode: string): string;
}

export async function existingOnLower(ctx: AttachContext, nic: Link, link: Link, k: OnLower): Promise<Existing> {
  const { req, host, guestNs } = ctx;
  const want = await currentLower(ctx, nic);
  const wantName = req.vlan === undefined ? req.hostIf : `${req.hostIf}.${req.vlan}`;
  const differences: string[] = [];
  if (link.kind !== k.kind) differences.push(`it is a ${link.kind ?? 'plain'} link, not ${k.article}`);
  else {
    const on = await parentOf(host, guestNs, link);
    if (on === undefined) differences.push(`on a parent in another namespace, not ${wantName}`);
    else if (on.index !== want?.index) differences.push(`on ${on.name}, not ${wantName}`);
    if (k.have !== k.mode) differences.push(`mode ${k.have ?? 'unknown'}, not ${k.mode}`);
  }
  const on = req.vlan === undefined ? req.hostIf : `${wantName} (VLAN ${req.vlan} on ${req.hostIf})`;
  return { differences, link: k.phrase(on, k.have ?? k.mode), mtu: want?.mtu ?? nic.mtu };
}

export async function releaseLower(a: Attachment): Promise<Step[]> {
  const lower = await parentOf(a.host, a.guestNs, a.link);
  if (!lower || lower.kind !== 'vlan' || lower.alias !== sharedMark('vlan')) return [];
  const vid = decodeVlanId(lower.infoData) ?? 0;
  const nic = (lower.link !== undefined && (await a.host.linkByIndex(lower.link))) || { ...lower, name: '?' };
  const r = { ...sharedVlan(a.host, nic, vid), name: lower.name };
  return [
    change(`remove VLAN device ${lower.name} if no guest uses it any more`, `${a.host.ip}link delete ${lower.name}`, async () => {
      await releaseShared(a.host, r, lower.index);
    }),
  ];
}
