// Registry statements: keep the services table in step with services.yaml, and read every active
// service back. The file owns its services; rows that left the file are removed.
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { operations, services, type OperationRow, type ServiceRow } from '../db/schema';
import type { HttpMethod, JsonSchema, ServiceDef } from './types';

export async function syncFileServices(db: Db, defs: readonly ServiceDef[]): Promise<void> {
  await db.transaction(async (tx) => {
    const names = defs.map((d) => d.name);
    await tx
      .delete(services)
      .where(and(eq(services.source, 'file'), names.length ? notInArray(services.name, names) : undefined));
    for (const def of defs) {
      const row = {
        name: def.name,
        kind: def.kind,
        baseUrl: def.baseUrl ?? null,
        auth: def.auth ?? null,
        timeoutMs: def.timeoutMs,
        retry: def.retry ?? null,
        breaker: def.breaker ?? null,
        concurrency: def.concurrency ?? null,
        rateLimitPerSecond: def.rateLimitPerSecond ?? null,
        active: true,
        source: 'file' as const,
      };
      const [saved] = await tx
        .insert(services)
        .values(row)
        .onConflictDoUpdate({ target: services.name, set: { ...row, updatedAt: sql`now()` } })
        .returning({ id: services.id });
      await tx.delete(operations).where(eq(operations.serviceId, saved!.id));
      await tx.insert(operations).values(
        def.operations.map((op) => ({
          serviceId: saved!.id,
          name: op.name,
          method: op.method,
          path: op.path,
          inputSchema: op.input ?? null,
          outputSchema: op.output ?? null,
          timeoutMs: op.timeoutMs ?? null,
          retry: op.retry ?? null,
          maxAgeMs: op.maxAgeMs ?? null,
          mock: op.mock ?? null,
        })),
      );
    }
  });
}

export async function loadActiveServices(db: Db): Promise<ServiceDef[]> {
  const rows = await db.select().from(services).where(eq(services.active, true)).orderBy(services.name);
  if (rows.length === 0) return [];
  const ops = await db
    .select()
    .from(operations)
    .where(inArray(operations.serviceId, rows.map((r) => r.id)))
    .orderBy(operations.name);
  return rows.map((r) => toServiceDef(r, ops.filter((o) => o.serviceId === r.id)));
}

function toServiceDef(r: ServiceRow, ops: OperationRow[]): ServiceDef {
  return {
    name: r.name,
    kind: r.kind,
    // The http client guards the connections of API-registered services against SSRF by this.
    source: r.source,
    baseUrl: r.baseUrl ?? undefined,
    auth: r.auth ?? undefined,
    timeoutMs: r.timeoutMs,
    retry: r.retry ?? undefined,
    breaker: r.breaker ?? undefined,
    concurrency: r.concurrency ?? undefined,
    rateLimitPerSecond: r.rateLimitPerSecond ?? undefined,
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
    })),
  };
}
