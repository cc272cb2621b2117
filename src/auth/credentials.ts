// Where a request carries its API key: `Authorization: Bearer <key>` on HTTP and SSE, and
// graphql-ws's connectionParams (`{ authorization: "Bearer <key>" }`, or `{ apiKey: "<key>" }` for
// clients that cannot build a header) at connection_init.
export type Credential = { kind: 'none' } | { kind: 'key'; key: string } | { kind: 'malformed' };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export function credentialFromHeader(value: string | null | undefined): Credential {
  if (value == null || value.trim() === '') return { kind: 'none' };
  const match = BEARER.exec(value);
  return match ? { kind: 'key', key: match[1]! } : { kind: 'malformed' };
}

export function credentialFromConnectionParams(params: unknown): Credential {
  if (params == null || typeof params !== 'object') return { kind: 'none' };
  const { authorization, Authorization, apiKey } = params as Record<string, unknown>;
  const header = authorization ?? Authorization;
  if (header !== undefined) return typeof header === 'string' ? credentialFromHeader(header) : { kind: 'malformed' };
  if (apiKey === undefined) return { kind: 'none' };
  return typeof apiKey === 'string' && apiKey !== '' ? { kind: 'key', key: apiKey } : { kind: 'malformed' };
}
