// Admission for every request Yoga serves (GraphQL over HTTP and SSE, GraphiQL): the
// `Authorization: Bearer <key>` header through the authenticator, before any other plugin runs.
// A refusal is a 401 in the GraphQL error format (a 503 while the database cannot be reached); an admitted request's caller is kept for the
// context factory (callerOf). WebSocket connections are admitted in ws.ts at connection_init.
import type { Plugin } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator';
import type { Caller } from '../auth/caller';
import { credentialFromHeader } from '../auth/credentials';
import { isDatabaseUnavailable } from '../db/unavailable';
import { databaseUnavailableResponse } from './database-unavailable';

const REFUSALS = {
  missing: 'an API key is required: send Authorization: Bearer <key>',
  invalid: 'the API key is malformed, unknown or revoked',
} as const;

interface ApiKeyAdmission {
  plugin: Plugin;
  /**
   * The caller of an operation, from Yoga's initial context: set by ws.ts for a WebSocket
   * operation, else the caller this plugin admitted the request as.
   */
  callerOf(initial: { request?: Request; caller?: unknown }): Caller;
}

export function useApiKeys(auth: Authenticator): ApiKeyAdmission {
  const callers = new WeakMap<Request, Caller>();
  return {
    callerOf(initial) {
      const caller = (initial.caller as Caller | undefined) ?? (initial.request && callers.get(initial.request));
      // Unreachable while this plugin runs first; failing closed if a change ever breaks that.
      if (!caller) throw new Error('an operation reached the schema without passing API key admission');
      return caller;
    },
    plugin: {
      async onRequest({ request, endResponse, fetchAPI }) {
        let admission: Awaited<ReturnType<Authenticator['admit']>>;
        try {
          admission = await auth.admit(credentialFromHeader(request.headers.get('authorization')));
        } catch (err) {
          // A key not in the cache is looked up in the database: while it is down, say so.
          if (!isDatabaseUnavailable(err)) throw err;
          return endResponse(databaseUnavailableResponse(fetchAPI));
        }
        if (admission.ok) {
          callers.set(request, admission.caller);
          return;
        }
        const body = { errors: [{ message: REFUSALS[admission.reason], extensions: { code: 'UNAUTHENTICATED' } }] };
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status: 401,
            headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' },
          }),
        );
      },
    },
  };
}
