// `pipework --wait`: block until an interface exists and is operationally up,
// driven by rtnetlink link notifications (RTNLGRP_LINK). There is no polling
// loop: between events the process sleeps in epoll on one netlink socket.
//
// Subscribe first, then look. We join RTNLGRP_LINK and only then ask the kernel
// for the link's current state (one RTM_GETLINK by name). A change made after
// the subscription produces a notification we will read; a state reached
// before it is in the GETLINK reply. The other order has a hole: a link that
// comes up after the check and before the subscription is seen by neither, and
// the wait would hang until its timeout (test/wait.test.ts shows both orders).
//
// "Operationally up", precisely: all of
//   - IFF_UP: administratively up;
//   - IFF_LOWER_UP: the driver reports carrier. This is what the original
//     checked: it looped until /sys/class/net/<cif>/carrier read 1, which the
//     kernel reports only for a running device with carrier, exactly the
//     condition under which it sets IFF_LOWER_UP;
//   - IFLA_OPERSTATE (RFC 2863) is UP, or UNKNOWN: drivers that do not manage
//     an operational state (lo, tun, dummy) report UNKNOWN with IFF_UP and
//     IFF_LOWER_UP, and the kernel's own IFF_RUNNING treats UNKNOWN as up too.
//     DORMANT (e.g. 802.1X not yet authorised), TESTING, LOWERLAYERDOWN and
//     DOWN are not up. Without an IFLA_OPERSTATE attribute, IFF_RUNNING decides.
// So a veth whose peer is down (no carrier) is not up yet, nor is a link whose
// carrier is on but whose operstate is still catching up (the kernel sends a
// further RTM_NEWLINK when linkwatch updates it).
//
// Names. Only the link's primary name counts (as /sys/class/net/<cif> did): a
// GETLINK by name also matches an alternative name (IFLA_ALT_IFNAME), and such a
// reply is treated as "no link of that name". A link renamed into the name
// arrives as an RTM_NEWLINK carrying the new name, and is judged like any other.
//
// Lost notifications. When the socket's receive queue overflows, recv fails
// with ENOBUFS and some notifications are gone; we then ask again with a GETLINK
// instead of failing (and again if that reply is itself lost in an overflow).
//
// At the timeout we ask the kernel once more (a link that came up at the last
// moment counts as up) and otherwise fail with code TIMEOUT, naming the state
// the link is in. The socket is closed on every path: success, timeout, error,
// abort.
import { PipeworkError, asPipeworkError, usage } from '../errors';
import { NetlinkSocket, readHeader } from '../netlink';
import type { Sys } from '../sys';
import {
  AF_UNSPEC,
  IFF_LOWER_UP,
  IFF_RUNNING,
  IFF_UP,
  IF_OPER_UNKNOWN,
  IF_OPER_UP,
  RTM_DELLINK,
  RTM_NEWLINK,
  RTNLGRP_LINK,
  decodeLink,
  getLink,
  operstateName,
  type Link,
} from '../rtnl';
import { isGone } from './namespace';
import { checkInterfaceName } from '../request/names';

export interface WaitOptions {
  /** Give up after this many milliseconds (code TIMEOUT); undefined waits forever. */
  timeoutMs?: number | undefined;
  /** Wait inside this network namespace (an open fd); default: the process's own. */
  nsFd?: number | undefined;
  /** Aborting rejects the wait with signal.reason and closes the socket. */
  signal?: AbortSignal | undefined;
  /** Test seam: the system-call backend for the socket (see NetlinkSocketOptions.sys). */
  sys?: Sys | undefined;
  /**
   * Test seam: called after the subscription is in place and before the first
   * GETLINK, and awaited. Whatever it does to the link must not be missed.
   */
  afterSubscribe?: (() => void | Promise<void>) | undefined;
}

export interface WaitResult {
  /** The interface name waited for. */
  name: string;
  /** Its ifindex when it was seen up. */
  index: number;
  /** Its RFC 2863 operational state then: 'up', or 'unknown' for drivers that do not track one. */
  operstate: string;
  /** True when the first check found it up already (no waiting). */
  alreadyUp: boolean;
  /** Milliseconds from the start of the wait to the moment it was seen up. */
  waitedMs: number;
}

/** setTimeout's largest delay; longer timeouts are re-armed in steps of it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether a link counts as up for --wait (see the comment at the top). */
export function isOperationallyUp(l: Link): boolean {
  if ((l.flags & (IFF_UP | IFF_LOWER_UP)) !== (IFF_UP | IFF_LOWER_UP)) return false;
  if (l.operstate === undefined) return (l.flags & IFF_RUNNING) !== 0;
  return l.operstate === IF_OPER_UP || l.operstate === IF_OPER_UNKNOWN;
}

/** Why a link is not up, in the words the timeout message uses. */
export function describeLinkState(l: Link | undefined): string {
  if (l === undefined) return 'it does not exist';
  if ((l.flags & IFF_UP) === 0) return 'it exists but is down';
  if ((l.flags & IFF_LOWER_UP) === 0) return 'it is up but has no carrier';
  if (isOperationallyUp(l)) return 'it is up';
  return `it is up with carrier, but its operational state is ${operstateName(l.operstate)}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function isEnobufs(e: unknown): boolean {
  return (e as { code?: unknown } | undefined)?.code === 'ENOBUFS';
}

/**
 * Resolves once the interface `name` exists and is operationally up, in the
 * process's namespace or in opts.nsFd's; rejects with code TIMEOUT after
 * opts.timeoutMs, or with signal.reason when opts.signal aborts.
 */
export function waitForLink(name: string, opts: WaitOptions = {}): Promise<WaitResult> {
  try {
    checkInterfaceName(name, 'the interface to wait for');
  } catch (e) {
    return Promise.reject(e);
  }
  const { timeoutMs, signal } = opts;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    return Promise.reject(usage(`the timeout must be a positive number of milliseconds, not ${String(timeoutMs)}`));
  }
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<WaitResult>((resolve, reject) => {
    const started = performance.now();
    let sock: NetlinkSocket;
    try {
      sock = new NetlinkSocket({ nsFd: opts.nsFd, sys: opts.sys });
    } catch (e) {
      reject(asPipeworkError(e, 'KERNEL', `cannot open a netlink socket to wait for ${name}`));
      return;
    }

    let done = false;
    let timer: NodeJS.Timeout | undefined;
    /** What we last learnt about the link: for the timeout message when a last look fails. */
    let lastKnown: Link | undefined;

    const finish = (err: unknown, result?: WaitResult): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (result) resolve(result);
      else reject(err);
    };

    const observe = (l: Link | undefined, fromFirstCheck: boolean): void => {
      if (done) return;
      lastKnown = l;
      if (l !== undefined && isOperationallyUp(l)) {
        finish(undefined, {
          name,
          index: l.index,
          operstate: operstateName(l.operstate),
          alreadyUp: fromFirstCheck,
          waitedMs: Math.round((performance.now() - started) * 1000) / 1000,
        });
      }
    };

    /** One RTM_GETLINK: the link of that primary name, or undefined. */
    const query = async (): Promise<Link | undefined> => {
      try {
        const [reply] = await sock.request(getLink({ name }));
        if (reply === undefined) return undefined;
        const l = decodeLink(reply);
        return l.name === name ? l : undefined;
      } catch (e) {
        if (isGone(e)) return undefined;
        throw e;
      }
    };

    // The check, and the re-check after ENOBUFS. One runs at a time; a request
    // for another while one is in flight (its reply may be what was lost) runs
    // it again when it ends.
    let checking = false;
    let again = false;
    const check = async (first: boolean): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          let l: Link | undefined;
          try {
            l = await query();
          } catch (e) {
            if (done) return;
            if (isEnobufs(e)) {
              again = true;
              continue;
            }
            finish(asPipeworkError(e, 'KERNEL', `cannot read the state of ${name}`));
            return;
          }
          observe(l, first);
          first = false;
        } while (again && !done);
      } finally {
        checking = false;
      }
    };

    const onNotification = (msg: Buffer): void => {
      if (done) return;
      const { type } = readHeader(msg);
      if (type !== RTM_NEWLINK && type !== RTM_DELLINK) return;
      // AF_BRIDGE messages on this group describe bridge ports, not the link itself.
      if (msg.length < 32 || msg.readUInt8(16) !== AF_UNSPEC) return;
      const l = decodeLink(msg);
      if (type === RTM_DELLINK) {
        if (l.name === name || lastKnown?.index === l.index) lastKnown = undefined;
      } else if (l.name === name) {
        observe(l, false);
      } else if (lastKnown?.index === l.index) {
        lastKnown = undefined; // renamed away: the name is free again
      }
    };

    const onSubscriptionError = (err: Error): void => {
      if (done) return;
      if (isEnobufs(err)) void check(false);
      else finish(asPipeworkError(err, 'KERNEL', `link notifications failed while waiting for ${name}`));
    };

    const onTimeout = async (): Promise<void> => {
      if (done) return;
      let state = lastKnown;
      try {
        state = await query();
      } catch {
        // keep what we knew
      }
      if (done) return;
      observe(state, false);
      finish(new PipeworkError('TIMEOUT', `timed out after ${seconds(timeoutMs!)} waiting for ${name} to be up (${describeLinkState(state)})`));
    };

    const onAbort = (): void => finish(signal!.reason);

    if (timeoutMs !== undefined) {
      const deadline = started + timeoutMs;
      const arm = (): void => {
        const left = deadline - performance.now();
        if (left <= 0) {
          timer = undefined;
          onTimeout().catch((e) => finish(e));
        } else {
          timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
        }
      };
      arm();
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    try {
      sock.subscribe([RTNLGRP_LINK], onNotification, onSubscriptionError);
    } catch (e) {
      finish(asPipeworkError(e, 'KERNEL', `cannot subscribe to link notifications to wait for ${name}`));
      return;
    }
    (async () => {
      if (opts.afterSubscribe) await opts.afterSubscribe();
      if (!done) await check(true);
    })().catch((e) => finish(e));
  });
}
