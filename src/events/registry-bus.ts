// Keeps this instance's registry in step with every other's: LISTEN on `callgate_registry` (the
// admin API NOTIFYs there when a service or a mode switch changes) and reload on each message but
// this instance's own (its write reloaded already), and after every reconnect, since changes made
// while the connection was down sent no message.
import type { Database } from '../db/client';
import type { Logger } from '../logger';
import { parseRegistryChange, REGISTRY_CHANNEL, type LiveRegistry } from '../registry';

interface RegistryFollower {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function followRegistry({ database, registry, log }: { database: Database; registry: LiveRegistry; log: Logger }): RegistryFollower {
  let unlisten: (() => Promise<void>) | undefined;
  let listens = 0;

  const reload = (why: Record<string, unknown>) =>
    registry.reload(database.db).then(
      () => log.info(why, 'registry reloaded'),
      (err: unknown) => log.error({ err, ...why }, 'registry reload failed; serving the previous services'),
    );

  return {
    async start() {
      unlisten = await database.listen(
        REGISTRY_CHANNEL,
        (payload) => {
          const { service, origin } = parseRegistryChange(payload);
          if (origin !== registry.origin) void reload({ service });
        },
        () => {
          if (listens++ > 0) void reload({ reason: 'LISTEN re-established' });
        },
      );
    },
    async stop() {
      await unlisten?.();
      unlisten = undefined;
    },
  };
}
