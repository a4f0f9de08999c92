// When a DHCP client sends: the retransmission schedule of RFC 2131 §4.1 and
// the renewal times of §4.4.5, as pure functions (random source injected).

/** 4 s, 8, 16, 32, then 64 s for every later try, each ±1 s uniformly (RFC 2131 §4.1). */
export function retransmitDelayMs(attempt: number, random: () => number): number {
  const base = 4000 * 2 ** Math.min(Math.max(0, attempt), 4);
  return Math.max(500, base + (random() * 2 - 1) * 1000);
}

/**
 * While RENEWING or REBINDING: wait half the time left until `until` (T2, or
 * the lease's end) before sending again (§4.4.5), but not less than this
 * minimum. The RFC's 60 s minimum would allow one try in a short lease (a
 * test server's 20 s, a lab's 2 min); 2 s keeps a few, and costs a server a
 * message every 2 s at most.
 */
export const MIN_RENEW_RETRY_MS = 2000;

/** How long to wait for an answer with leftMs to go; never past the deadline. */
export function renewRetryMs(leftMs: number): number {
  if (leftMs <= 0) return 0;
  return Math.min(leftMs, Math.max(MIN_RENEW_RETRY_MS, leftMs / 2));
}

export interface LeaseTimes {
  /** Seconds; undefined for an infinite lease (0xffffffff, RFC 2131 §3.3). */
  lease: number | undefined;
  t1: number | undefined;
  t2: number | undefined;
}

/** T1 0.5 and T2 0.875 of the lease unless the server said (options 58, 59), with T1 <= T2 <= lease. */
export function leaseTimes(lease: number | undefined, t1?: number, t2?: number): LeaseTimes {
  if (lease === undefined || lease === 0xffffffff) return { lease: undefined, t1: undefined, t2: undefined };
  let r2 = t2 !== undefined && t2 > 0 && t2 < lease ? t2 : lease * 0.875;
  let r1 = t1 !== undefined && t1 > 0 && t1 < r2 ? t1 : Math.min(lease * 0.5, r2);
  if (r1 > r2) r1 = r2;
  if (r2 > lease) r2 = lease;
  return { lease, t1: r1, t2: r2 };
}
