// Bulk detach: the detaches of one batch remove their veths together.
//
// Deleting a link waits for RCU grace periods inside
// unregister_netdevice_many() (net/core/dev.c): ~20 ms each on these VMs, so
// one RTM_DELLINK per link caps detach at ~50 links per second whatever we
// do. Instead each detach puts the host end of its veth into one interface
// group of its own (IFLA_GROUP: a plain attribute change, no grace period)
// and gives its place in the batch back; when the batch has nothing else to
// run (or after MAX_WAIT_MS), one RTM_DELLINK for the group removes every
// member through a single unregister_netdevice_many (link-group.ts). The
// guest end of each veth goes with its peer.
//
// Only links we made join: the host end must carry our mark, naming this
// guest's interface. Before the group is deleted, its members are read back:
// if anything else is in it (someone set that group on a link of theirs)
// nothing is deleted by group, and each of ours is deleted on its own. The
// group number is one no link of the host has, chosen at random between
// 2^16 and 2^31 (iproute2 reads a group as a signed int), so a collision
// needs someone to pick the same number in the instant between that check
// and the delete.
import { randomInt } from 'node:crypto';
import { NetlinkError } from '../netlink';
import { decodeLink, decodeLinkGroup, delLinkGroup, dumpLinks, setLinkGroup } from '../rtnl';
import type { Attachment } from './hostif/kind';
import { hostPeer } from './hostif/veth';
import { parseMark } from './mark';
import { isGone, type Namespace } from './namespace';

/** How a detach's teardown removes a guest link: by index, or in a bulk (RunOptions.bulk). */
export interface LinkRemover {
  /** True when the link was removed by us; false when it was gone already. */
  remove(a: Attachment): Promise<boolean>;
}

/** The longest a parked detach waits for the batch to go idle before its group is deleted anyway. */
const MAX_WAIT_MS = 200;
/** A group this large is deleted at once, idle or not. */
const MAX_MEMBERS = 4096;

interface Member {
  index: number;
  settle(removed: boolean | Error): void;
}

export class BulkDetach {
  private group: Promise<number> | undefined;
  private members: Member[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Set while a deletion is being decided and done: joins wait for it. */
  private gate: Promise<void> | undefined;
  /** Group changes sent and not yet answered, and who waits for them to be. */
  private joins = 0;
  private joined: (() => void) | undefined;

  /** Bulk deletions done, and how many links they removed: for the bench and the tests. */
  readonly stats = { groupDeletes: 0, single: 0 };

  constructor(private readonly host: Namespace) {}

  /** A remover for one line: `parked` gives the line's place back while it waits. */
  remover(parked: () => void): LinkRemover {
    return { remove: (a) => this.remove(a, parked) };
  }

  private async remove(a: Attachment, parked: () => void): Promise<boolean> {
    const peer = await hostPeer(a.host, a.guest.nsFd, a.link);
    const mark = parseMark(peer?.alias);
    // Not a veth of ours with its host end here (a macvlan, a link made by hand and --force): on its own.
    if (a.host !== this.host || !peer || !mark || mark.ifname !== a.mark?.ifname || mark.id !== a.mark.id) return this.single(a.guestNs, a.link.index);
    const group = await this.groupNumber();
    // Not while a deletion of the group is being decided: a link joining then would go without its line knowing.
    while (this.gate) await this.gate;
    this.joins++;
    let done: Promise<boolean | Error>;
    try {
      await this.host.sock.request(setLinkGroup(peer.index, group));
      done = new Promise<boolean | Error>((settle) => this.members.push({ index: peer.index, settle }));
    } catch (e) {
      if (isGone(e)) return false;
      throw e;
    } finally {
      if (--this.joins === 0) this.joined?.();
    }
    parked();
    if (this.members.length >= MAX_MEMBERS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), MAX_WAIT_MS);
    const r = await done;
    if (r instanceof Error) throw r;
    return r;
  }

  private async single(ns: Namespace, index: number): Promise<boolean> {
    this.stats.single++;
    return ns.deleteLink({ index });
  }

  /** A group no link of the host is in, chosen once per batch. */
  private groupNumber(): Promise<number> {
    this.group ??= this.host.sock.dump(dumpLinks()).then((msgs) => {
      const used = new Set(msgs.map(decodeLinkGroup));
      for (;;) {
        const g = randomInt(0x1_0000, 0x7fff_ffff);
        if (!used.has(g)) return g;
      }
    });
    return this.group;
  }

  /** Deletes the group with what has joined so far (idle batch, timer, size); later joiners wait for the next. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.members.length === 0 && this.joins === 0) return;
    this.flushing = this.flushing.then(() => this.deleteGroup());
  }

  private async deleteGroup(): Promise<void> {
    let open!: () => void;
    this.gate = new Promise<void>((r) => (open = r));
    // Joins already sent finish first: their links are in the group, so they belong to this deletion.
    if (this.joins > 0) await new Promise<void>((r) => (this.joined = r));
    this.joined = undefined;
    const batch = this.members;
    this.members = [];
    try {
      if (batch.length > 0) await this.deleteMembers(batch);
    } finally {
      this.gate = undefined;
      open();
    }
  }

  private async deleteMembers(batch: Member[]): Promise<void> {
    try {
      const group = await this.groupNumber();
      const inGroup = (await this.host.sock.dump(dumpLinks())).filter((m) => decodeLinkGroup(m) === group).map(decodeLink);
      const ours = new Set(batch.map((m) => m.index));
      const present = new Set(inGroup.map((l) => l.index));
      // Someone else's link in our group (or one of ours lost its mark meanwhile): never delete by group then.
      const foreign = inGroup.some((l) => !ours.has(l.index) || !parseMark(l.alias));
      if (present.size > 0 && !foreign) {
        try {
          await this.host.sock.request(delLinkGroup(group));
          this.stats.groupDeletes++;
          for (const m of batch) m.settle(present.has(m.index));
          return;
        } catch (e) {
          // ENODEV: all went meanwhile; anything else (EOPNOTSUPP): each on its own below.
          if (!(e instanceof NetlinkError)) throw e;
        }
      }
      for (const m of batch) {
        try {
          m.settle(present.has(m.index) && (await this.single(this.host, m.index)));
        } catch (e) {
          m.settle(e as Error);
        }
      }
    } catch (e) {
      for (const m of batch) m.settle(e as Error);
    }
  }
}
