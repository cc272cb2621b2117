// Apollo Client (core, no React) against the gateway: with the possibleTypes map generated into
// client/, InMemoryCache matches `... on Error { message }` on the result unions' error types.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { possibleTypes } from '../../client';
import { CallServiceDocument } from '../../client/generated/graphql';
import { buildTestApp, type TestApp } from '../helpers/app';

const SERVICES = `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
`;

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ services: SERVICES });
});
afterAll(async () => {
  await t?.stop();
});

describe('Apollo Client with InMemoryCache({ possibleTypes })', () => {
  it('reads message from UnknownOperationError through ... on Error', async () => {
    // Without the map Apollo also warns "Cannot match inline fragment on `Error`" (and drops the field).
    const warnings = [vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')];
    const client = new ApolloClient({
      cache: new InMemoryCache({ possibleTypes }),
      link: new HttpLink({ uri: t.url }),
    });
    try {
      const { data, error } = await client.mutate({
        mutation: CallServiceDocument,
        variables: { input: { service: 'mock', operation: 'nope', input: {} } },
      });
      expect(error).toBeUndefined();
      expect(data?.callService).toEqual({ __typename: 'UnknownOperationError', message: 'service "mock" has no operation "nope"' });
      for (const spy of warnings) expect(spy).not.toHaveBeenCalled();
    } finally {
      client.stop();
      vi.restoreAllMocks();
    }
  });
});
