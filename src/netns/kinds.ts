// The kinds of guest, each described once: a spec names one by its prefix
// (`docker:web1`, `lxc:web1`, `netns:red`, `pid:42`, `path:/run/x`); resolve.ts opens it,
// the mark records its id, messages name it, --dry-run says how iproute2
// reaches it. A new kind is an entry here and a case in resolveGuest.
import { NETNS_RUN_DIR } from './nsfile';

export type GuestKind = 'docker' | 'lxc' | 'pid' | 'netns' | 'path';

/** What the descriptions read of a resolved guest (a Guest has it all). */
export interface GuestRef {
  /** Docker container name without '/', LXC container name, netns name, PID text or path. */
  name: string;
  /** Full container id (docker only). */
  id?: string | undefined;
  /** The process whose namespace was opened (docker, lxc and pid). */
  pid?: number | undefined;
}

export interface GuestKindInfo {
  /** The guest in messages: `${noun} ${name}`, 'container web1'. */
  noun: string;
  /** What identifies the guest for good, as the mark records it: a Docker container's full id (not its name), an LXC container's name (LXC has no other id), a PID, a netns name, a path. */
  markId(g: GuestRef): string;
  /** A mark's id as messages show it: a container id cut to 12 digits, as `docker ps` does. */
  shortId(id: string): string;
  /** The start of a command run inside the guest's namespace, for --dry-run: 'ip netns exec red ', 'nsenter -t 42 -n '. */
  exec(g: GuestRef): string;
  /** The guest as iproute2's `netns` argument names it (`ip link add ... netns X`): a netns name or a PID. */
  netnsArgument(g: GuestRef): string;
  /** The file that leads to the guest's namespace now: whether it still holds the one we opened says whether the guest is current. */
  nsPath(g: GuestRef): string;
}

const same = (id: string): string => id;

// A container and a PID are both reached through their process. For LXC too:
// `lxc-attach -n NAME --` would run the container's own `ip`, which a busybox
// or distroless rootfs may lack or have in a reduced form; nsenter runs the
// host's in the namespace we opened, as pipework-netlink itself acts.
const byProcess = {
  exec: (g: GuestRef) => `nsenter -t ${g.pid} -n `,
  netnsArgument: (g: GuestRef) => String(g.pid),
  nsPath: (g: GuestRef) => `/proc/${g.pid}/ns/net`,
};

export const GUEST_KINDS: Readonly<Record<GuestKind, GuestKindInfo>> = {
  docker: { noun: 'container', markId: (g) => g.id ?? g.name, shortId: (id) => id.slice(0, 12), ...byProcess },
  lxc: { noun: 'LXC container', markId: (g) => g.name, shortId: same, ...byProcess },
  pid: { noun: 'process', markId: (g) => String(g.pid), shortId: same, ...byProcess },
  netns: {
    noun: 'netns',
    markId: (g) => g.name,
    shortId: same,
    exec: (g) => `ip netns exec ${g.name} `,
    netnsArgument: (g) => g.name,
    nsPath: (g) => `${NETNS_RUN_DIR}/${g.name}`,
  },
  path: {
    noun: 'namespace',
    markId: (g) => g.name,
    shortId: same,
    exec: (g) => `nsenter --net=${g.name} `,
    netnsArgument: (g) => g.name,
    nsPath: (g) => g.name,
  },
};

export function isGuestKind(s: string): s is GuestKind {
  return Object.hasOwn(GUEST_KINDS, s);
}

/** How a guest reads in messages: 'container web1', 'LXC container web1', 'netns red', 'process 42', 'namespace /run/x'. */
export function guestLabel(kind: GuestKind, name: string): string {
  return `${GUEST_KINDS[kind].noun} ${name}`;
}
