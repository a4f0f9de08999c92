// Guests and namespaces: each guest is resolved once to an open network
// namespace fd, which everything after uses (a PID can die and be reused).

import { PipeworkError } from '../errors';
import { openNamedNetns, openPathNetns } from './nsfile';

export { resolveGuest } from './resolve';
export type { Guest, ResolveOptions } from './resolve';
export { GUEST_KINDS, guestLabel, isGuestKind, type GuestKind, type GuestKindInfo, type GuestRef } from './kinds';
export { inspectContainer, dockerSocketPath, DEFAULT_DOCKER_SOCKET } from './docker';
export type { ContainerInfo, InspectOptions } from './docker';
export { NETNS_RUN_DIR } from './nsfile';
export { readSysctl, writeSysctl } from './sysctl';

/**
 * Opens a namespace to act as the host (--host-netns): a name from
 * /var/run/netns, or an absolute path to a namespace file. Returns an fd the
 * caller closes. Throws USAGE for a relative path, GUEST_NOT_FOUND when it
 * does not exist or is not a network namespace.
 */
export function openNamespace(nameOrPath: string): number {
  if (nameOrPath.startsWith('/')) return openPathNetns(nameOrPath);
  if (nameOrPath.includes('/')) {
    throw new PipeworkError('USAGE', `network namespace ${nameOrPath}: give a name from /var/run/netns or an absolute path`);
  }
  return openNamedNetns(nameOrPath);
}
