// Errors every layer throws: a message in the user's terms and a stable code
// that library callers can switch on. The CLI maps USAGE to exit 2,
// UNSUPPORTED to exit 3 and everything else to exit 1.

export type ErrorCode =
  | 'USAGE' // the command line or request is malformed
  | 'GUEST_NOT_FOUND' // no container, namespace or process by that name
  | 'GUEST_NOT_RUNNING' // the container exists but has no process
  | 'DOCKER_UNREACHABLE' // the Engine API socket does not answer
  | 'OVSDB_UNREACHABLE' // Open vSwitch's database socket is missing, refuses, closes or stays silent
  | 'OVSDB' // Open vSwitch's database refused a transaction, or ovs-vswitchd could not take a port (its text in the message)
  | 'HOST_NETNS_NOT_FOUND' // --host-netns names no network namespace
  | 'HOSTIF_NOT_FOUND' // the host interface (bridge) does not exist and will not be created
  | 'HOSTIF_AMBIGUOUS' // mac:<address> matches several host interfaces
  | 'HOSTIF_UNSUPPORTED' // the host interface exists but is of a kind this path cannot use
  | 'LINK_EXISTS' // a device we would create is already there
  | 'MAC_CONFLICT' // the MAC asked for is already the bridge's
  | 'CONFLICT' // an earlier attach made this interface with other parameters
  | 'KERNEL' // the kernel refused a request (errno and extended ACK text in the message)
  | 'TIMEOUT'
  | 'ABORTED' // the caller's AbortSignal fired; what was done is rolled back
  | 'UNSUPPORTED' // a pipework feature this version does not implement yet (exit 3, nothing done)
  | 'NOT_OURS' // the interface exists but pipework did not make it (detach refuses without --force)
  | 'PERMISSION' // a capability is missing (CAP_SYS_ADMIN to enter a namespace, CAP_NET_ADMIN to change links): src/cli/privilege.ts
  | 'MALFORMED' // bytes from outside (a netlink reply, a frame, the Engine API) are not what their format says (ParseError)
  | 'INTERNAL';

export class PipeworkError extends Error {
  readonly code: ErrorCode;
  /** The errno name when the kernel or a syscall refused, e.g. 'EEXIST'. */
  readonly errno?: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; errno?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipeworkError';
    this.code = code;
    this.errno = options?.errno;
  }
}

/**
 * The one error every decoder of outside bytes throws when they are shorter
 * or other than their format says (a netlink header claiming more bytes than
 * came, an attribute too short for its type). A decoder throws this or
 * returns; never a RangeError from a Buffer read.
 */
export class ParseError extends PipeworkError {
  constructor(message: string) {
    super('MALFORMED', message);
    this.name = 'ParseError';
  }
}

/** The errno name an error carries as `code` ('EEXIST'), as NetlinkError and Node's system errors do; else undefined. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Any error as a PipeworkError. One already is kept as it is: it names its
 * failure in the user's terms. Anything else (a NetlinkError, a system call's
 * error) becomes `code` with the message `prefix: its message` and `suffix`
 * after it, its errno name carried over and itself as the cause.
 */
export function asPipeworkError(e: unknown, code: ErrorCode, prefix: string, suffix = ''): PipeworkError {
  if (e instanceof PipeworkError) return e;
  return new PipeworkError(code, `${prefix}: ${(e as Error | undefined)?.message ?? String(e)}${suffix}`, { cause: e, errno: errnoOf(e) });
}

export function usage(message: string): PipeworkError {
  return new PipeworkError('USAGE', message);
}

/** A feature of the original pipework that is not implemented yet: one code, one exit status (3) everywhere. */
export function unsupported(what: string): PipeworkError {
  return new PipeworkError('UNSUPPORTED', `${what} is not supported yet`);
}
