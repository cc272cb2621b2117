// The instance heartbeat: upserts this instance's row (load included) every `intervalMs`, prunes
// (at its first beat, then once a minute) the rows of instances gone for a while, and deletes its own row on stop, so the `queue` query
// counts live instances and a crashed one drops out once its row goes stale.
import type { Db } from '../db/client';
import type { Logger } from '../logger';
import { beatInstance, deleteInstance, INSTANCE_PRUNE_MS, pruneInstances } from '../queue';

/**
 * Pruning takes rows gone for INSTANCE_PRUNE_MS (10 minutes), so once a minute is plenty; every
 * beat of every instance (one each 5 s) was a DELETE scan for nothing.
 */
const PRUNE_EVERY_MS = 60_000;

export interface HeartbeatOptions {
  db: Db;
  log: Logger;
  instanceId: string;
  host: string;
  pid: number;
  concurrency: number;
  /** Jobs running right now, read at every beat. */
  inFlight: () => number;
  /** @default HEARTBEAT_INTERVAL_MS (5 s) */
  intervalMs: number;
}

export interface Heartbeat {
  /** Beats now, then every interval. */
  start(): Promise<void>;
  /** Stops beating and deletes this instance's row. */
  stop(): Promise<void>;
}

export function createHeartbeat(opts: HeartbeatOptions): Heartbeat {
  const log = opts.log.child({ component: 'heartbeat', instanceId: opts.instanceId });
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let nextPruneAt = 0;

  async function beat(): Promise<void> {
    try {
      await beatInstance(opts.db, {
        id: opts.instanceId,
        host: opts.host,
        pid: opts.pid,
        concurrency: opts.concurrency,
        inFlight: opts.inFlight(),
      });
      if (Date.now() < nextPruneAt) return;
      nextPruneAt = Date.now() + PRUNE_EVERY_MS;
      const pruned = await pruneInstances(opts.db, INSTANCE_PRUNE_MS);
      if (pruned.length) log.info({ instances: pruned }, 'pruned instances not seen for a while');
    } catch (err) {
      log.warn({ err }, 'heartbeat failed; trying again at the next interval');
    }
  }

  const tick = () => {
    current ??= beat().finally(() => (current = undefined));
    return current;
  };

  return {
    async start() {
      if (timer) return;
      timer = setInterval(() => void tick(), opts.intervalMs);
      await tick();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await current;
      try {
        await deleteInstance(opts.db, opts.instanceId);
      } catch (err) {
        log.warn({ err }, 'could not delete this instance row; it will go stale and be pruned');
      }
    },
  };
}
