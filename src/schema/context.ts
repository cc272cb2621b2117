// What every resolver receives: the caller (tenant and role, from its API key), the caller's
// tenant for the reads and writes that are scoped to it, and the modules it may call.
import type { Authenticator } from '../auth/authenticator';
import type { Caller } from '../auth/caller';
import type { UpstreamClient } from '../clients/types';
import type { Db } from '../db/client';
import type { TenantScope } from '../db/tenant-scope';
import type { EventBus } from '../events/bus';
import type { EnqueueMetrics, FinishMetrics } from '../metrics';
import type { Enqueue } from '../queue';
import type { LiveRegistry } from '../registry';
import type { ServiceKind } from '../db/schema';
import type { BreakerStates } from '../worker/breakers';
import type { CallLimits } from './call-limits';
import type { Loaders } from './loaders';

export interface GraphQLContext {
  caller: Caller;
  /** caller.tenantId: every job query and action takes it. */
  tenantId: string;
  /** The owner's connection: keys, tenants and the registry, which are not behind row-level security. */
  db: Db;
  /**
   * Job and attempt statements run through this: a transaction as the caller's tenant, so row-level
   * security backs up their tenant filter (db/tenant-scope.ts).
   */
  asTenant: TenantScope;
  /**
   * callService's enqueue: joins concurrent calls into one INSERT per tenant, each batch in its
   * tenant's scope like asTenant (queue/enqueue-batcher.ts). Shared by every request.
   */
  enqueue: Enqueue;
  /** The caller's tenant's view: the file's services and its own. */
  registry: LiveRegistry;
  /** testService calls through the same clients as the workers, SSRF guard included. */
  clients: Record<ServiceKind, UpstreamClient>;
  bus: EventBus;
  breakers: BreakerStates;
  /** callService counts what it enqueues, cancelJob what it finishes. */
  metrics: EnqueueMetrics & FinishMetrics;
  /** To drop a revoked key from this instance's cache at once. */
  auth: Authenticator;
  /** callService's rate limit and input size (call-limits.ts). */
  callLimits: CallLimits;
  /** This operation's batch loaders (loaders.ts). */
  loaders: Loaders;
}
