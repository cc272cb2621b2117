// Tenants and API keys for tests: issued straight through the statements (the GraphQL mutations
// are tested on their own), and GraphQL over HTTP, graphql-ws and SSE as the holder of a key.
import { createClient as createSseClient } from 'graphql-sse';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { issueApiKey } from '../../src/auth/api-key';
import type { ApiKeyRole } from '../../src/db/schema';
import { insertTenant } from '../../src/db/tenants';
import type { GqlResponse, TestApp } from './app';

export async function createTenantWithKeys(t: TestApp, name: string) {
  const tenant = (await insertTenant(t.app.database.db, name))!;
  const issue = async (role: ApiKeyRole) => (await issueApiKey(t.app.database.db, { tenantId: tenant.id, role, name: `${name} ${role}` })).key;
  return { tenant, client: await issue('client'), ops: await issue('ops'), admin: await issue('admin') };
}

export async function gqlAs<T = Record<string, any>>(
  t: TestApp,
  key: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ status: number; body: GqlResponse<T> }> {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GqlResponse<T> };
}

/** A subscription over graphql-ws with `connectionParams`; resolves with its payloads, or rejects with the error or close event. */
export function subscribeWs(t: TestApp, connectionParams: Record<string, unknown> | undefined, query: string, variables?: Record<string, unknown>) {
  const client: Client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
  const payloads: GqlResponse[] = [];
  return new Promise<GqlResponse[]>((resolve, reject) => {
    client.subscribe(
      { query, variables },
      { next: (p) => void payloads.push(p as GqlResponse), error: reject, complete: () => resolve(payloads) },
    );
  }).finally(() => client.dispose());
}

/** A subscription over SSE (Yoga's distinct connections mode) with an Authorization header. */
export async function subscribeSse(t: TestApp, key: string, query: string, variables?: Record<string, unknown>) {
  const client = createSseClient({ url: t.url, retryAttempts: 0, headers: { authorization: `Bearer ${key}` } });
  const results: GqlResponse[] = [];
  try {
    for await (const result of client.iterate({ query, variables })) results.push(result as GqlResponse);
    return results;
  } finally {
    client.dispose();
  }
}
