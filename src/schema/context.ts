// What every resolver receives: the caller's tenant and the modules it may call.
import type { Db } from '../db/client';
import type { EventBus } from '../events/bus';
import type { EnqueueMetrics } from '../metrics';
import type { Registry } from '../registry';
import type { Breakers } from '../worker/breakers';

export interface GraphQLContext {
  tenantId: string;
  db: Db;
  registry: Registry;
  bus: EventBus;
  breakers: Breakers;
  metrics: EnqueueMetrics;
}
