/**
 * The heartbeat a worker keeps while it holds a build's or a job's lease. Renewals run one after
 * another, every `heartbeatMs`, each for `leaseMs` but never past `leaseEnd` (the work's deadline,
 * its grace to wind down and one heartbeat), so a worker stuck in work that ignores its deadline
 * loses the lease instead of holding it forever.
 */
export interface LeaseRenewal {
  /** Stops renewing and waits for a renewal under way. */
  stop(): Promise<void>;
}

export function renewLease(options: {
  readonly leaseEnd: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly now: () => number;
  /** Renews for `leaseMs`; the caller decides what a refused renewal means. */
  readonly renew: (leaseMs: number) => Promise<void>;
  /** A renewal that threw: the store is unreachable for now and the lease may still hold. */
  readonly onError: (error: unknown) => void;
}): LeaseRenewal {
  let beating = Promise.resolve();
  const heartbeat = setInterval(() => {
    beating = beating.then(async () => {
      const left = options.leaseEnd - options.now();
      if (left <= 0) return;
      try {
        await options.renew(Math.min(options.leaseMs, left));
      } catch (error) {
        options.onError(error);
      }
    });
  }, options.heartbeatMs);
  return {
    stop: async () => {
      clearInterval(heartbeat);
      await beating;
    },
  };
}
