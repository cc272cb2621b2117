// How long a claim holds a job: its operation's attempt timeout plus a margin, stored on the row
// (`lease_ms`) when the job is accepted, so that one tenant's 24-hour operation stretches only its
// own jobs' crash recovery. The claim leases each row for its own `lease_ms`; every attempt of the
// job, its retries included, is held to it (attemptTimeoutMs): a timeout lowered since applies at
// once, one raised applies to the jobs accepted after the change, and to those retryJob re-runs
// (it takes the lease anew: leaseMsOf).
import type { Registry } from '../registry';

/**
 * Added to the attempt timeout for the lease. Every timestamp involved is the database's now(),
 * so it covers recording the outcome after the call (and keeping it through a short database
 * outage: worker/outcome-writer.ts), not clock skew.
 */
export const LEASE_MARGIN_MS = 5_000;

/** The lease of a job whose attempts may take `timeoutMs`. */
export function leaseMsFor(timeoutMs: number): number {
  return timeoutMs + LEASE_MARGIN_MS;
}

/** The lease of a job of this operation as the registry has it now; undefined when it is gone. */
export function leaseMsOf(registry: Registry, service: string, operation: string): number | undefined {
  const s = registry.service(service);
  const o = s && registry.operation(service, operation);
  return s && o ? leaseMsFor(registry.timeoutMs(s, o)) : undefined;
}

/** How long an attempt of a claimed job may take: the operation's timeout now, cut to what the job's lease covers. */
export function attemptTimeoutMs(timeoutMs: number, leaseMs: number): number {
  return Math.max(0, Math.min(timeoutMs, leaseMs - LEASE_MARGIN_MS));
}
