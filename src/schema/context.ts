// What every resolver receives: the caller's tenant and the modules it may call.
import type { Db } from '../db/client';
import type { EventBus } from '../events/bus';
import type { Registry } from '../registry';

export interface GraphQLContext {
  tenantId: string;
  db: Db;
  registry: Registry;
  bus: EventBus;
}
