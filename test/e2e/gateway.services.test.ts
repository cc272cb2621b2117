// What ops see of the registry through GraphQL: services, their operations with effective
// timeouts and breaker status, auth by kind only, and null for an unknown name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app';

const SERVICES = `{
  services {
    name kind baseUrl auth timeoutMs
    operations { name method path timeoutMs inputSchema breaker { state failures successes rejects nextProbeAt } }
  }
}`;

const closed = { state: 'CLOSED', failures: 0, successes: 0, rejects: 0, nextProbeAt: null };

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({
    services: `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
        input: { type: object, properties: { n: { type: integer } } }
  - name: payments
    kind: http
    baseUrl: http://127.0.0.1:9/v1
    timeoutMs: 5000
    auth: { bearerTokenEnv: PAYMENTS_TOKEN }
    operations:
      - { name: createCharge, method: POST, path: /charges }
      - { name: getCharge, method: GET, path: "/charges/{chargeId}", timeoutMs: 1500, input: { type: object, properties: { chargeId: { type: string } } } }
`,
    env: { PAYMENTS_TOKEN: 'sk_live_secret' },
  });
});
afterAll(async () => t?.stop());

describe('services query', () => {
  it('lists every service with its operations and closed breakers', async () => {
    const res = await t.gql(SERVICES);
    expect(res.errors).toBeUndefined();
    const byName = Object.fromEntries(res.data?.services.map((s: { name: string }) => [s.name, s]));
    expect(byName.mock).toEqual({
      name: 'mock',
      kind: 'MOCK',
      baseUrl: null,
      auth: null,
      timeoutMs: 10_000,
      operations: [
        {
          name: 'echo',
          method: 'POST',
          path: '/',
          timeoutMs: 10_000,
          inputSchema: { type: 'object', properties: { n: { type: 'integer' } } },
          breaker: closed,
        },
      ],
    });
    expect(byName.payments).toEqual({
      name: 'payments',
      kind: 'HTTP',
      baseUrl: 'http://127.0.0.1:9/v1',
      auth: 'bearer',
      timeoutMs: 5_000,
      operations: [
        { name: 'createCharge', method: 'POST', path: '/charges', timeoutMs: 5_000, inputSchema: null, breaker: closed },
        {
          name: 'getCharge',
          method: 'GET',
          path: '/charges/{chargeId}',
          timeoutMs: 1_500,
          inputSchema: { type: 'object', properties: { chargeId: { type: 'string' } } },
          breaker: closed,
        },
      ],
    });
  });

  it('never returns a secret or the name of the variable holding it', async () => {
    const res = await t.gql(SERVICES);
    const text = JSON.stringify(res);
    expect(text).not.toContain('sk_live_secret');
    expect(text).not.toContain('PAYMENTS_TOKEN');
  });

  it('finds one service by name', async () => {
    const res = await t.gql(`{ service(name: "payments") { name operations { name } } }`);
    expect(res.data?.service).toEqual({ name: 'payments', operations: [{ name: 'createCharge' }, { name: 'getCharge' }] });
  });

  it('answers null for an unknown service', async () => {
    const res = await t.gql(`{ service(name: "nope") { name } }`);
    expect(res).toEqual({ data: { service: null } });
  });
});
