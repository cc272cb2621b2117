// Registry statements: the services registered through the admin API (the table holds only
// those; each instance builds the file's own in memory), their mode switches, and the NOTIFY that
// tells every instance to reload. Each write notifies in its own transaction, so only on commit.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs, operations, serviceModes, services, type OperationRow, type ServiceRow } from '../db/schema';
import type { FollowUps, HttpMethod, JsonSchema, ServiceDef, ServiceMode } from './types';

/** Every instance LISTENs here and reloads its registry (events/registry-bus.ts). */
export const REGISTRY_CHANNEL = 'callgate_registry';

/** A job in one of these may still call the service: deleting it would strand the job. */
const OPEN_JOB_STATUSES = ['pending', 'running', 'waiting_callback'] as const;

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The service and its operations, owned by `tenantId`; false when the name is taken (by any tenant). */
export async function insertApiService(db: Db, tenantId: string, def: ServiceDef, origin: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [saved] = await tx
      .insert(services)
      .values({ ...serviceColumns(def), tenantId })
      .onConflictDoNothing({ target: services.name })
      .returning({ id: services.id });
    if (!saved) return false;
    await insertOperations(tx, saved.id, def);
    await notifyRegistryChanged(tx, { service: def.name, origin });
    return true;
  });
}

/** Replaces the tenant's service of that name, operations included; false when it has none. */
export async function replaceApiService(db: Db, tenantId: string, def: ServiceDef, origin: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [saved] = await tx
      .update(services)
      .set({ ...serviceColumns(def), updatedAt: sql`now()` })
      .where(and(eq(services.name, def.name), eq(services.tenantId, tenantId)))
      .returning({ id: services.id });
    if (!saved) return false;
    await tx.delete(operations).where(eq(operations.serviceId, saved.id));
    await insertOperations(tx, saved.id, def);
    await notifyRegistryChanged(tx, { service: def.name, origin });
    return true;
  });
}

/**
 * Deletes the tenant's service unless a job may still call it, in one statement so that no job can
 * be claimed between the check and the delete. False when there is no such service or it is in use.
 */
export async function deleteApiService(db: Db, tenantId: string, name: string, origin: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(services)
      .where(
        and(
          eq(services.name, name),
          eq(services.tenantId, tenantId),
          sql`not exists (select 1 from ${jobs} where ${jobs.service} = ${name} and ${inArray(jobs.status, [...OPEN_JOB_STATUSES])})`,
        ),
      )
      .returning({ id: services.id });
    if (!deleted) return false;
    await tx.delete(serviceModes).where(eq(serviceModes.service, name));
    await notifyRegistryChanged(tx, { service: name, origin });
    return true;
  });
}

/** Jobs of the service that are pending, running or waiting for a callback (any tenant's). */
export async function countOpenJobs(db: Db, service: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(jobs)
    .where(and(eq(jobs.service, service), inArray(jobs.status, [...OPEN_JOB_STATUSES])));
  return row?.count ?? 0;
}

/** `real` removes the switch: a service without one is real. */
export async function setServiceMode(db: Db, service: string, mode: ServiceMode, origin: string): Promise<void> {
  await db.transaction(async (tx) => {
    if (mode === 'real') await tx.delete(serviceModes).where(eq(serviceModes.service, service));
    else {
      await tx
        .insert(serviceModes)
        .values({ service, mode })
        .onConflictDoUpdate({ target: serviceModes.service, set: { mode, updatedAt: sql`now()` } });
    }
    await notifyRegistryChanged(tx, { service, origin });
  });
}

export async function loadServiceModes(db: Db): Promise<Map<string, ServiceMode>> {
  const rows = await db.select({ service: serviceModes.service, mode: serviceModes.mode }).from(serviceModes);
  return new Map(rows.map((r) => [r.service, r.mode]));
}

/** Every tenant's API services, by name. */
export async function loadApiServices(db: Db): Promise<ServiceDef[]> {
  const rows = await db.select().from(services).where(eq(services.active, true)).orderBy(services.name);
  if (rows.length === 0) return [];
  const ops = await db
    .select()
    .from(operations)
    .where(inArray(operations.serviceId, rows.map((r) => r.id)))
    .orderBy(operations.name);
  return rows.map((r) => toServiceDef(r, ops.filter((o) => o.serviceId === r.id)));
}

/**
 * What a NOTIFY on REGISTRY_CHANNEL says: the service, for the log (receivers reload everything, the
 * table is small), and the origin, the writing instance's LiveRegistry.origin: that one reloaded
 * already, so its follower skips the message.
 */
interface RegistryChange {
  service: string;
  origin: string;
}

async function notifyRegistryChanged(tx: Tx, change: RegistryChange): Promise<void> {
  await tx.execute(sql`select pg_notify(${REGISTRY_CHANNEL}, ${JSON.stringify(change)})`);
}

/**
 * A payload as notifyRegistryChanged writes it; anything else (an older instance's bare name, a
 * hand-made NOTIFY) gives no origin, so every instance reloads on it.
 */
export function parseRegistryChange(payload: string): Partial<RegistryChange> {
  try {
    const { service, origin } = JSON.parse(payload) as Record<string, unknown>;
    return {
      service: typeof service === 'string' ? service.slice(0, 64) : undefined,
      origin: typeof origin === 'string' ? origin : undefined,
    };
  } catch {
    return { service: payload.slice(0, 64) };
  }
}

async function insertOperations(tx: Tx, serviceId: string, def: ServiceDef): Promise<void> {
  await tx.insert(operations).values(
    def.operations.map((op) => ({
      serviceId,
      name: op.name,
      method: op.method,
      path: op.path,
      inputSchema: op.input ?? null,
      outputSchema: op.output ?? null,
      timeoutMs: op.timeoutMs ?? null,
      retry: op.retry ?? null,
      maxAgeMs: op.maxAgeMs ?? null,
      mock: op.mock ?? null,
      callback: op.async ?? null,
      followUps: op.onSuccess || op.onFailure ? { onSuccess: op.onSuccess, onFailure: op.onFailure } : null,
    })),
  );
}

function serviceColumns(def: ServiceDef) {
  return {
    name: def.name,
    kind: def.kind,
    baseUrl: def.baseUrl ?? null,
    auth: def.auth ?? null,
    timeoutMs: def.timeoutMs,
    retry: def.retry ?? null,
    breaker: def.breaker ?? null,
    active: true,
    source: 'api' as const,
  };
}

function toServiceDef(r: ServiceRow, ops: OperationRow[]): ServiceDef {
  return {
    name: r.name,
    kind: r.kind,
    // The http client guards the connections of API-registered services against SSRF by this.
    source: 'api',
    tenantId: r.tenantId,
    baseUrl: r.baseUrl ?? undefined,
    auth: r.auth ?? undefined,
    timeoutMs: r.timeoutMs,
    retry: r.retry ?? undefined,
    breaker: r.breaker ?? undefined,
    operations: ops.map((o) => ({
      name: o.name,
      method: o.method as HttpMethod,
      path: o.path,
      input: (o.inputSchema as JsonSchema | null) ?? undefined,
      output: (o.outputSchema as JsonSchema | null) ?? undefined,
      timeoutMs: o.timeoutMs ?? undefined,
      retry: o.retry ?? undefined,
      maxAgeMs: o.maxAgeMs ?? undefined,
      mock: o.mock ?? undefined,
      async: o.callback ?? undefined,
      ...((o.followUps as Partial<FollowUps> | null) ?? {}),
    })),
  };
}
