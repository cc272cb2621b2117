import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createRegistry, parseServices, RegistryFileError } from '../../src/registry';

const bad = (yaml: string) => () => parseServices(yaml);

describe('parseServices', () => {
  it('accepts the shipped services.yaml with its mock echo operation', async () => {
    const defs = parseServices(await readFile(new URL('../../services.yaml', import.meta.url), 'utf8'));
    const mock = defs.find((d) => d.name === 'mock');
    expect(mock).toMatchObject({ kind: 'mock', timeoutMs: 10_000 });
    expect(mock?.operations.find((o) => o.name === 'echo')).toMatchObject({ method: 'POST', path: '/' });
    expect(mock?.operations.find((o) => o.name === 'flaky')?.mock?.scenarios).toEqual([
      { probability: 0.33, outcome: 'error', status: 503, body: { error: 'upstream unavailable' } },
    ]);
  });

  it('names the service, operation and field of a bad value', () => {
    const yaml = `
services:
  - name: payments
    kind: http
    baseUrl: https://api.example.com/v1
    operations:
      - name: createCharge
        path: charges`;
    expect(bad(yaml)).toThrow(RegistryFileError);
    expect(bad(yaml)).toThrow('service "payments", operation "createCharge", field "path": must start with "/"');
  });

  it('rejects an http service without baseUrl, unknown keys, duplicates and bad auth', () => {
    expect(bad('services: [{ name: p, kind: http, operations: [{ name: a }] }]')).toThrow(
      'service "p", field "baseUrl": is required for kind http',
    );
    expect(bad('services: [{ name: m, kind: mock, operations: [{ name: a, mehtod: GET }] }]')).toThrow(
      /service "m", operation "a".*mehtod/,
    );
    expect(bad('services: [{ name: m, kind: mock, operations: [{ name: a }, { name: a }] }]')).toThrow(
      'service "m", operation "a", field "name": is a duplicate',
    );
    expect(bad('services: [{ name: m, kind: mock, operations: [{ name: a }] }, { name: m, kind: mock, operations: [{ name: b }] }]')).toThrow(
      'service "m", field "name": is a duplicate',
    );
    expect(bad('services: [{ name: p, kind: http, baseUrl: "http://x", auth: { bearerToken: abc }, operations: [{ name: a }] }]')).toThrow(
      'service "p", field "auth"',
    );
    expect(bad('services: [{ name: p, kind: ftp, operations: [{ name: a }] }]')).toThrow('service "p", field "kind"');
  });

  it('rejects an input schema that is not valid JSON Schema', () => {
    expect(bad('services: [{ name: m, kind: mock, operations: [{ name: a, input: { type: 12 } }] }]')).toThrow(
      'service "m", operation "a", field "input": not a valid JSON Schema',
    );
  });

  it('reads mock fault scenarios', () => {
    const [svc] = parseServices(`
services:
  - name: m
    kind: mock
    operations:
      - name: a
        mock:
          latencyMs: [5, 20]
          errorRate: 0.1
          scenarios:
            - { probability: 0.1, outcome: timeout }
            - { probability: 0.2, outcome: error, status: 503, body: { message: down }, latencyMs: [100, 200] }
            - { probability: 0.3, outcome: rate_limited, retryAfterSeconds: 2 }
            - { probability: 0.3, outcome: reset }
          response: { id: "{{jobId}}" }`);
    expect(svc?.operations[0]?.mock).toEqual({
      latencyMs: [5, 20],
      errorRate: 0.1,
      scenarios: [
        { probability: 0.1, outcome: 'timeout' },
        { probability: 0.2, outcome: 'error', status: 503, body: { message: 'down' }, latencyMs: [100, 200] },
        { probability: 0.3, outcome: 'rate_limited', retryAfterSeconds: 2 },
        { probability: 0.3, outcome: 'reset' },
      ],
      response: { id: '{{jobId}}' },
    });
  });

  it('rejects mock scenarios whose probabilities pass 1, or that are malformed', () => {
    const op = (mock: string) => bad(`services: [{ name: m, kind: mock, operations: [{ name: a, mock: ${mock} }] }]`);
    expect(op('{ scenarios: [{ probability: 0.6, outcome: error }, { probability: 0.5, outcome: reset }] }')).toThrow(
      'service "m", operation "a", field "mock.scenarios": probabilities add up to 1.1, more than 1',
    );
    expect(op('{ errorRate: 0.3, scenarios: [{ probability: 0.8, outcome: reset }] }')).toThrow(
      'service "m", operation "a", field "mock.scenarios": probabilities plus errorRate add up to 1.1, more than 1',
    );
    expect(op('{ scenarios: [{ probability: 0.1, outcome: explode }] }')).toThrow(
      'service "m", operation "a", field "mock.scenarios.0.outcome"',
    );
    expect(op('{ scenarios: [{ probability: 0.1, outcome: error, stauts: 503 }] }')).toThrow(
      /service "m", operation "a", field "mock.scenarios.0": .*stauts/,
    );
    expect(op('{ scenarios: [{ probability: 0.1, outcome: rate_limited, status: 503 }] }')).toThrow(
      'service "m", operation "a", field "mock.scenarios.0.status": applies only to outcome error',
    );
    expect(op('{ scenarios: [{ probability: 0.1, outcome: error, status: 404 }] }')).toThrow(
      'service "m", operation "a", field "mock.scenarios.0.status"',
    );
    expect(op('{ scenarios: [{ probability: 1.5, outcome: reset }] }')).toThrow(
      'service "m", operation "a", field "mock.scenarios.0.probability"',
    );
  });

  it('reads onSuccess and onFailure follow-ups', () => {
    const [shop] = parseServices(`
services:
  - name: shop
    kind: mock
    operations:
      - name: charge
        onSuccess: [{ service: shop, operation: receipt, input: { to: "{{input.email}}", charge: "{{output}}" } }]
        onFailure: [{ service: shop, operation: receipt, input: { why: "failed: {{error}} ({{jobId}})" } }]
      - name: receipt`);
    expect(shop?.operations[0]).toMatchObject({
      onSuccess: [{ service: 'shop', operation: 'receipt', input: { to: '{{input.email}}', charge: '{{output}}' } }],
      onFailure: [{ service: 'shop', operation: 'receipt' }],
    });
  });

  it('rejects follow-ups naming what the file does not hold, with bad templates, or too many', () => {
    const op = (followUps: string) => `
services:
  - name: shop
    kind: mock
    operations:
      - name: charge
        ${followUps}
      - name: receipt`;
    expect(bad(op('onSuccess: [{ service: mail, operation: send, input: {} }]'))).toThrow(
      'service "shop", operation "charge", field "onSuccess.0.service": names unknown service "mail"',
    );
    expect(bad(op('onFailure: [{ service: shop, operation: refund, input: {} }]'))).toThrow(
      'service "shop", operation "charge", field "onFailure.0.operation": service "shop" has no operation "refund"',
    );
    expect(bad(op('onSuccess: [{ service: shop, operation: receipt, input: { to: "{{inptu.email}}" } }]'))).toThrow(
      'field "onSuccess.0.input": placeholder "{{inptu.email}}" must start with input, output, error or jobId',
    );
    expect(bad(op('onSuccess: [{ service: shop, operation: receipt, input: { id: "{{jobId.x}}", to: "{{input.a" } }]'))).toThrow(
      /jobId is a string and has no properties.*"\{\{" without a matching "\}\}"/,
    );
    expect(bad(op('onSuccess: [{ service: shop, operation: receipt }]'))).toThrow('field "onSuccess.0.input": is required');
    expect(bad(op('onSuccess: [{ service: shop, operation: receipt, input: { note: "a\\0b" } }]'))).toThrow(
      'field "onSuccess.0.input.note": contains a NUL character',
    );
    const six = Array.from({ length: 6 }, () => '{ service: shop, operation: receipt, input: {} }').join(', ');
    expect(bad(op(`onSuccess: [${six}]`))).toThrow('field "onSuccess": lists more than 5 follow-ups');
  });

  it('rejects text that is not YAML', () => {
    expect(bad('services: [unclosed')).toThrow(/not valid YAML/);
  });
});

describe('registry input validation', () => {
  const registry = createRegistry(
    parseServices(`
services:
  - name: pay
    kind: mock
    operations:
      - name: charge
        input:
          type: object
          required: [amount, currency]
          additionalProperties: false
          properties: { amount: { type: integer, minimum: 1 }, currency: { type: string } }`),
  );

  it('lists every violation with a JSON Pointer path', () => {
    expect(registry.validateInput('pay', 'charge', { amount: 0, extra: true })).toEqual(
      expect.arrayContaining([
        { path: '/currency', message: 'is required' },
        { path: '/extra', message: 'is not allowed' },
        { path: '/amount', message: 'must be >= 1' },
      ]),
    );
    expect(registry.validateInput('pay', 'charge', 'not an object')).toEqual([{ path: '/', message: 'must be object' }]);
  });

  it('accepts valid input', () => {
    expect(registry.validateInput('pay', 'charge', { amount: 100, currency: 'EUR' })).toEqual([]);
  });
});
