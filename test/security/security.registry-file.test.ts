// Registry-file mistakes that used to start the gateway without a word (issue 8, item 9): each one
// now stops the load with a message naming the service, operation and field.
import { describe, expect, it } from 'vitest';
import { parseServices, RegistryFileError } from '../../src/registry';

const load = (yaml: string) => () => parseServices(yaml);
const http = (service: string, operation = '{ name: op, path: / }') =>
  `services: [{ name: pay, kind: http, baseUrl: "https://api.example.com/v1", ${service} operations: [${operation}] }]`;

describe('a services file the gateway refuses', () => {
  it.each([
    ['a path placeholder the input schema does not declare',
      http('', '{ name: getCharge, method: GET, path: "/charges/{chargeId}", input: { type: object, properties: { id: { type: string } } } }'),
      'service "pay", operation "getCharge", field "path": placeholder "{chargeId}" is not a property of the operation\'s input schema'],
    ['a path placeholder with no input schema at all',
      http('', '{ name: getCharge, method: GET, path: "/charges/{chargeId}" }'),
      'service "pay", operation "getCharge", field "path": placeholder "{chargeId}" is not a property'],
    ['a path placeholder bound to an object property',
      http('', '{ name: op, path: "/x/{a}", input: { type: object, properties: { a: { type: object } } } }'),
      'service "pay", operation "op", field "path": placeholder "{a}" must be a string, number or integer property'],
    ['an empty placeholder', http('', '{ name: op, path: "/x/{}" }'), 'service "pay", operation "op", field "path": placeholder "{}" is not a valid name'],
    ['a base URL with a query', 'services: [{ name: pay, kind: http, baseUrl: "https://api.example.com/v1?key=1", operations: [{ name: op }] }]',
      'service "pay", field "baseUrl": must not have a query string'],
    ['a base URL with a fragment', 'services: [{ name: pay, kind: http, baseUrl: "https://api.example.com/v1#top", operations: [{ name: op }] }]',
      'service "pay", field "baseUrl": must not have a fragment'],
    ['a base URL with user:password', 'services: [{ name: pay, kind: http, baseUrl: "https://bob:hunter2@api.example.com/v1", operations: [{ name: op }] }]',
      'service "pay", field "baseUrl": must not carry a user name or password'],
    ['a ".." segment in a path', http('', '{ name: op, path: "/charges/../admin" }'), 'service "pay", operation "op", field "path": must not have "." or ".." segments'],
    ['a percent-encoded ".." segment in a path', http('', '{ name: op, path: "/charges/%2E%2e/admin" }'), 'field "path": must not have "." or ".." segments'],
    ['a "." segment in a path', http('', '{ name: op, path: "/charges/./x" }'), 'field "path": must not have "." or ".." segments'],
    ['a backslash in a path', http('', '{ name: op, path: "/charges\\\\x" }'), 'service "pay", operation "op", field "path": must not contain'],
    ['an empty file', '', 'is empty; list the services under "services:"'],
    ['a file with only comments', '# nothing here\n', 'is empty'],
    ['a file without services', 'services: []', 'field "services": lists no service'],
    ['a GET whose input allows an object',
      http('', '{ name: list, method: GET, path: /charges, input: { type: object, properties: { filter: { type: object } } } }'),
      'service "pay", operation "list", field "input.properties.filter": must be a string, number, integer, boolean or null'],
    ['a DELETE whose input allows an array',
      http('', '{ name: del, method: DELETE, path: /charges, input: { type: object, properties: { ids: { type: [string, array] } } } }'),
      'service "pay", operation "del", field "input.properties.ids": must be a string, number'],
    ['a GET whose additional properties may be objects',
      http('', '{ name: list, method: GET, path: /charges, input: { type: object, additionalProperties: { type: object } } }'),
      'service "pay", operation "list", field "input.additionalProperties": must be a string, number'],
    ['a GET property with no type', http('', '{ name: list, method: GET, path: /charges, input: { type: object, properties: { q: {} } } }'),
      'field "input.properties.q": must be a string'],
    ['concurrency', http('concurrency: 4,'), 'service "pay", field "concurrency": is not supported yet'],
    ['rateLimitPerSecond', http('rateLimitPerSecond: 10,'), 'service "pay", field "rateLimitPerSecond": is not supported yet'],
    ['an OAuth2 token URL with credentials',
      http('auth: { oauth2ClientCredentials: { tokenUrl: "https://id:secret@auth.example.com/token", clientIdEnv: ID, clientSecretEnv: SECRET } },'),
      'service "pay", field "auth.oauth2ClientCredentials.tokenUrl": must not carry a user name or password'],
  ])('%s', (_what, yaml, message) => {
    expect(load(yaml)).toThrow(RegistryFileError);
    expect(load(yaml)).toThrow(message);
  });

  it('accepts what those rules allow', () => {
    const [svc] = parseServices(
      http(
        'auth: { oauth2ClientCredentials: { tokenUrl: "https://auth.example.com/oauth/token", clientIdEnv: PAY_ID, clientSecretEnv: PAY_SECRET, scope: "charges:read charges:write" } },',
        `{ name: getCharge, method: GET, path: "/charges/{chargeId}/v{version}.json",
           input: { type: object, properties: { chargeId: { type: string }, version: { type: integer }, expand: { type: boolean }, mode: { enum: [a, b] }, tag: { type: [string, "null"] } } } }`,
      ),
    );
    expect(svc).toMatchObject({ auth: { oauth2ClientCredentials: { clientIdEnv: 'PAY_ID', scope: 'charges:read charges:write' } } });
    expect(svc?.operations[0]?.path).toBe('/charges/{chargeId}/v{version}.json');
  });

  it('lets a mock service keep object inputs on a GET: nothing is sent as a query string', () => {
    expect(parseServices('services: [{ name: m, kind: mock, operations: [{ name: a, method: GET, input: { type: object, properties: { f: { type: object } } } }] }]')).toHaveLength(1);
  });
});
