// An Open vSwitch bridge on the host: the guest gets one end of a veth pair,
// the other end becomes a port of the bridge, with `tag=VID` for `@VID`, as
// pipework does with `ovs-vsctl add-port BR LIF tag=VID -- set Interface LIF
// external-ids:...`; here through OVSDB's JSON-RPC (src/ovsdb), no ovs-vsctl.
//
// Which names are OVS bridges: one OVSDB knows as a bridge, as the original
// asks `ovs-vsctl list-br`. Only a device that can be one is asked about (an
// OVS bridge's own device is an internal port, kind "openvswitch", on the
// kernel datapath, and a tap on the userspace one), so that a Linux bridge
// or a NIC never costs a connection. A missing name starting with "ovs" is
// created, as pipework does (`ovs-vsctl add-br`), with the datapath
// --ovs-datapath says (system by default).
//
// The port's Interface carries the original's external_ids (pipework.interface,
// .bridge, .containerid, .containername, .nspid, .vlan) and ours,
// pipework.mark (the veth's mark), by which gc finds what is left when a
// guest's veth is gone (the original leaves such ports behind: its issues
// #143 and #148). The announcement waits until ovs-vswitchd has taken the
// port (its ofport is set); the Interface's `error` makes the attach fail.
//
// A bridge is shared configuration (controllers, patch ports, mirrors hang
// on it, and OVSDB keeps it across reboots): detach never removes one, as
// the original never does; only the rollback of the attach that created it does.
import * as fs from 'node:fs';
import { PipeworkError } from '../../errors';
import { formatMac } from '../../packet';
import type { Link } from '../../rtnl';
import type { GcRequest } from '../../request/types';
import {
  addPort,
  createBridge,
  findBridge,
  ovsdbEndpoint,
  portNamed,
  portsWithExternalId,
  removeCreatedBridge,
  removePort,
  waitForOfport,
  withOvsdb,
  type BridgeRow,
  type OvsdbClient,
  type PortView,
} from '../../ovsdb';
import { netnsArgument, type AttachContext } from '../context';
import { describeMark, parseMark, sameMark } from '../mark';
import { defaultHostLinkName } from '../names';
import type { Namespace } from '../namespace';
import { change, check, type Step } from '../plan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Leftover, Teardown } from './kind';
import { hostPeer, refuseTakenHostName, vethStep } from './veth';

const DEFAULT_MTU = 1500;
/** How long ovs-vswitchd may take to open a new port's device before the attach fails. */
const PORT_TIMEOUT_MS = 10_000;
const MARK_KEY = 'pipework.mark';
const INTERFACE_KEY = 'pipework.interface';

const linkPhrase = (hostSide: string, bridge: string, vlan: number | undefined, created: boolean): string =>
  `host side ${hostSide} on Open vSwitch bridge ${bridge}${vlan !== undefined ? `, tag ${vlan}` : ''}${created ? ' (created)' : ''}`;

/** The database at that endpoint, or undefined when the default socket is simply absent (no OVS on this host). */
async function maybeOvsdb<T>(given: string | undefined, fn: (db: OvsdbClient) => Promise<T>): Promise<T | undefined> {
  const ep = ovsdbEndpoint(given);
  if (!ep.explicit && !fs.existsSync(ep.path)) return undefined;
  return withOvsdb(ep.path, fn);
}

const use = <T>(given: string | undefined, fn: (db: OvsdbClient) => Promise<T>): Promise<T> => withOvsdb(ovsdbEndpoint(given).path, fn);

/** The original's external_ids, with its values (a container name as Docker writes it, with its '/'), and our mark. */
function externalIds(ctx: AttachContext, hostName: string): Record<string, string> {
  const { guest, req } = ctx;
  const ids: Record<string, string> = { [INTERFACE_KEY]: hostName, 'pipework.bridge': req.hostIf };
  if (guest.kind === 'docker' && guest.id) ids['pipework.containerid'] = guest.id;
  if (guest.kind === 'docker') ids['pipework.containername'] = `/${guest.name}`;
  if (guest.pid !== undefined) ids['pipework.nspid'] = String(guest.pid);
  if (req.vlan !== undefined) ids['pipework.vlan'] = String(req.vlan);
  ids[MARK_KEY] = ctx.alias;
  return ids;
}

/** ovs-vsctl's value syntax needs quotes around a value with ':' or '/' (a mark, a container name). */
const q = (v: string): string => (/^[\w.-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`);

export const ovs: HostIfKind = {
  name: 'ovs',
  vlans: true,

  async claims({ name, link }, req) {
    if (link) {
      if (link.kind === 'openvswitch') return true;
      if (link.kind !== 'tun') return false;
    } else if (name.startsWith('ovs')) return true;
    return (await maybeOvsdb(req.ovsdb, (db) => findBridge(db, name))) !== undefined;
  },

  async plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan> {
    const { req, host, dev, who } = ctx;
    const hostName = req.hostLinkName ?? defaultHostLinkName(dev, ctx.guest);
    await refuseTakenHostName(host, hostName);
    const { bridge, taken } = await use(req.ovsdb, async (db) => ({ bridge: await findBridge(db, req.hostIf), taken: await portNamed(db, hostName) }));
    if (taken) {
      throw new PipeworkError('LINK_EXISTS', `Open vSwitch already has a port ${hostName}${taken.bridge ? ` on bridge ${taken.bridge.name}` : ''}`);
    }
    if (!bridge && found.link) throw new PipeworkError('HOSTIF_NOT_FOUND', `bridge ${req.hostIf} went away from Open vSwitch's database`);
    // The bridge's local port would take frames for that MAC as its own.
    if (req.mac && found.link?.mac && formatMac(found.link.mac) === req.mac) {
      throw new PipeworkError('MAC_CONFLICT', `MAC ${req.mac} is Open vSwitch bridge ${req.hostIf}'s own address`);
    }
    // The MTU of the bridge's device, as pipework copies it (`ip link show BR`).
    const mtu = found.link?.mtu ?? DEFAULT_MTU;
    const datapath = req.ovsDatapath ?? 'system';
    const note = `pipework: attach ${dev} of ${who}`;
    ctx.result.hostSide = hostName;
    ctx.result.link = linkPhrase(hostName, req.hostIf, req.vlan, !bridge);
    if (!bridge) ctx.result.created = [`Open vSwitch bridge ${req.hostIf}`];

    const steps: Step[] = [];
    if (!bridge) {
      let made: BridgeRow | undefined;
      steps.push(
        change(
          `create Open vSwitch bridge ${req.hostIf} (datapath ${datapath})`,
          `ovs-vsctl add-br ${req.hostIf} -- set Bridge ${req.hostIf} datapath_type=${datapath}`,
          async () => {
            const r = await use(req.ovsdb, (db) => createBridge(db, req.hostIf, datapath, note));
            // Another attach made it first: we only use it.
            if (r.created) made = r.bridge;
            ctx.result.created = r.created ? [`Open vSwitch bridge ${req.hostIf}`] : [];
            ctx.result.link = linkPhrase(hostName, req.hostIf, req.vlan, r.created);
          },
          async () => {
            if (made) await use(req.ovsdb, (db) => removeCreatedBridge(db, made!, `${note}: rolled back`));
          },
        ),
      );
    }
    const veth = vethStep(ctx, {
      hostName,
      mtu,
      master: () => undefined,
      title: `create veth ${hostName} with peer ${dev} in ${who}`,
      command:
        `${host.ip}link add ${hostName} mtu ${mtu} up type veth peer name ${dev} mtu ${mtu}` +
        `${req.mac ? ` address ${req.mac}` : ''} netns ${netnsArgument(ctx.guest)}`,
    });
    steps.push(veth.step);

    let added: { port: string; iface: string } | undefined;
    const ids = externalIds(ctx, hostName);
    steps.push(
      change(
        `add ${hostName} to Open vSwitch bridge ${req.hostIf}${req.vlan !== undefined ? ` with tag ${req.vlan}` : ''}`,
        `ovs-vsctl add-port ${req.hostIf} ${hostName}${req.vlan !== undefined ? ` tag=${req.vlan}` : ''} -- set Interface ${hostName} ` +
          Object.entries(ids)
            .map(([k, v]) => `external-ids:${k}=${q(v)}`)
            .join(' '),
        async () => {
          added = await use(req.ovsdb, (db) => addPort(db, { bridge: req.hostIf, name: hostName, tag: req.vlan, externalIds: ids, note }));
        },
        // One transaction takes the port off the bridge and deletes its rows; the veth's undo deletes the device.
        async () => {
          if (added) await use(req.ovsdb, (db) => removePort(db, { ...added!, name: hostName }, `${note}: rolled back`));
        },
      ),
    );

    const confirm = check(`wait for ovs-vswitchd to take ${hostName}`, async () => {
      if (!added) return;
      const row = await use(req.ovsdb, (db) => waitForOfport(db, added!.iface, hostName, PORT_TIMEOUT_MS));
      if (!row) throw new PipeworkError('HOSTIF_NOT_FOUND', `port ${hostName} was removed from Open vSwitch during the attach`);
      if (row.error !== undefined || (row.ofport ?? -1) < 0) {
        throw new PipeworkError('OVSDB', `Open vSwitch could not add port ${hostName} to bridge ${req.hostIf}: ${row.error ?? `ofport ${row.ofport}`}`);
      }
      if (!(await host.linkByIndex(veth.state.hostIndex))) throw new PipeworkError('HOSTIF_NOT_FOUND', `${hostName} went away during the attach`);
    });
    return { steps, confirm: [confirm], mtu };
  },

  async existing(ctx: AttachContext, found: HostIfFound, link: Link): Promise<Existing> {
    const { req, host } = ctx;
    const peer = await hostPeer(host, ctx.guest.nsFd, link);
    const differences: string[] = [];
    const ours = peer && sameMark(parseMark(peer.alias), ctx.mark);
    let tag = req.vlan;
    if (!ours) {
      differences.push(`its host side is not in this host namespace (looked for ${ctx.alias})`);
    } else {
      if (req.hostLinkName !== undefined && peer.name !== req.hostLinkName) differences.push(`host side ${peer.name}, not ${req.hostLinkName}`);
      const view = await use(req.ovsdb, (db) => portNamed(db, peer.name));
      if (!view) differences.push(`its host side ${peer.name} is not a port in Open vSwitch`);
      else {
        tag = view.port.tag;
        if (view.bridge?.name !== req.hostIf) differences.push(`on ${view.bridge ? `Open vSwitch bridge ${view.bridge.name}` : 'no bridge'}, not ${req.hostIf}`);
        if (view.port.tag !== req.vlan) differences.push(`tag ${view.port.tag ?? 'none'}, not ${req.vlan ?? 'none'}`);
      }
    }
    const hostSide = peer?.name;
    return { differences, hostSide, link: linkPhrase(hostSide ?? '?', req.hostIf, tag, false), mtu: found.link?.mtu ?? link.mtu };
  },

  async teardown(a: Attachment): Promise<Teardown> {
    const peer = await hostPeer(a.host, a.guest.nsFd, a.link);
    if (!peer) return { steps: [deleteGuestLink(a)] };
    const view = await use(a.ovsdb, (db) => portNamed(db, peer.name));
    const steps: Step[] = [];
    // Only the port we added: its interface carries this very veth's mark.
    if (view && ourPort(view, peer.name)) {
      const on = view.bridge?.name ?? '?';
      steps.push(
        change(`remove port ${peer.name} from Open vSwitch bridge ${on}`, `ovs-vsctl del-port ${on} ${peer.name}`, async () => {
          await use(a.ovsdb, (db) => removePort(db, { port: view.port.uuid, iface: view.iface?.uuid, name: peer.name }, `pipework: detach ${a.link.name} of ${a.who}`));
        }),
      );
    }
    steps.push(deleteGuestLink(a));
    return { steps, hostSide: peer.name };
  },

  hostSide: (link) => link.kind === 'veth',

  async leftovers(host: Namespace, going: ReadonlySet<string>, req: GcRequest): Promise<Leftover[]> {
    const views = await maybeOvsdb(req.ovsdb, (db) => portsWithExternalId(db, INTERFACE_KEY));
    const out: Leftover[] = [];
    for (const v of views ?? []) {
      const name = v.port.name;
      const mark = parseMark(v.iface?.externalIds[MARK_KEY]);
      const ids = v.iface?.externalIds ?? {};
      const guest = mark ? describeMark(mark) : ids['pipework.containername'] ? `container ${ids['pipework.containername'].replace(/^\//, '')}` : `process ${ids['pipework.nspid'] ?? '?'}`;
      const base = { hostSide: name, guest, guestSide: mark?.ifname ?? '?' };
      const bridge = v.bridge?.name;
      // A bridge's device lives where its ovs-vswitchd runs: ports of a bridge not in this host namespace are not ours to judge from here.
      if (!bridge || !(await host.linkByName(bridge))) {
        out.push({ ...base, reason: `cannot tell whether its veth is gone: Open vSwitch bridge ${bridge ?? '(none)'} is not in this host namespace` });
        continue;
      }
      const link = await host.linkByName(name);
      let reason: string | undefined;
      if (!link) reason = `port on Open vSwitch bridge ${bridge} whose veth is gone`;
      else if (going.has(name)) reason = `port on Open vSwitch bridge ${bridge} whose guest is gone`;
      if (!reason) continue;
      out.push({
        ...base,
        reason,
        step: change(`remove port ${name} from Open vSwitch bridge ${bridge} (${reason})`, `ovs-vsctl del-port ${bridge} ${name}`, async () => {
          await use(req.ovsdb, (db) => removePort(db, { port: v.port.uuid, iface: v.iface?.uuid, name }, 'pipework: gc'));
        }),
      });
    }
    return out;
  },
};

/** Whether the port is the one pipework added for this veth (the original's ports carry pipework.interface only). */
function ourPort(v: PortView, name: string): boolean {
  const ids = v.iface?.externalIds ?? {};
  return ids[INTERFACE_KEY] === name;
}
