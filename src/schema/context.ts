// What every resolver receives: the caller (tenant and role, from its API key), the caller's
// tenant for the reads and writes that are scoped to it, and the modules it may call.
import type { Authenticator } from '../auth/authenticator';
import type { Caller } from '../auth/caller';
import type { Db } from '../db/client';
import type { EventBus } from '../events/bus';
import type { EnqueueMetrics } from '../metrics';
import type { Registry } from '../registry';
import type { Breakers } from '../worker/breakers';

export interface GraphQLContext {
  caller: Caller;
  /** caller.tenantId: every job query and action takes it. */
  tenantId: string;
  db: Db;
  registry: Registry;
  bus: EventBus;
  breakers: Breakers;
  metrics: EnqueueMetrics;
  /** To drop a revoked key from this instance's cache at once. */
  auth: Authenticator;
}
