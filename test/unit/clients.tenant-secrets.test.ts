// A tenant's service reads only its own tenant's variables, checked at every read: a service that
// reached the registry by any path cannot name DATABASE_URL and have it sent upstream.
import { describe, expect, it } from 'vitest';
import { AuthError, createAuthResolver } from '../../src/clients/auth';
import { createTokenSource } from '../../src/clients/oauth2';
import { tenantSecretPrefix } from '../../src/registry/tenant-secrets';
import type { ServiceDef } from '../../src/registry/types';

const TENANT = '5f0c1c1e-8d5e-4c5b-9a59-3b1f2c3d4e5f';
const PREFIX = tenantSecretPrefix(TENANT);
const env: Record<string, string> = { DATABASE_URL: 'postgres://u:pw@db/x', [`${PREFIX}TOKEN`]: 'tenant-token', FILE_TOKEN: 'file-token' };
const resolve = createAuthResolver({ secret: (name) => env[name], tokens: createTokenSource() });
const service = (auth: ServiceDef['auth'], tenantId?: string): ServiceDef =>
  ({ name: 'svc', kind: 'http', baseUrl: 'https://api.example.com', timeoutMs: 1000, operations: [], auth, tenantId }) as ServiceDef;
const dispatcher = undefined as never;

describe('tenant secrets', () => {
  it('is CALLGATE_SECRET_ and the tenant id in hex, upper case', () => {
    expect(PREFIX).toBe('CALLGATE_SECRET_5F0C1C1E8D5E4C5B9A593B1F2C3D4E5F_');
  });

  it("refuses a tenant's service any variable outside its prefix, without reading it", async () => {
    const refused = resolve(service({ bearerTokenEnv: 'DATABASE_URL' }, TENANT), dispatcher);
    await expect(refused).rejects.toBeInstanceOf(AuthError);
    await expect(refused).rejects.toMatchObject({ retryable: false, message: `service svc may only read variables named ${PREFIX}*` });
  });

  it("gives a tenant's service its own variables, and the operator's file services any", async () => {
    expect((await resolve(service({ bearerTokenEnv: `${PREFIX}TOKEN` }, TENANT), dispatcher)).headers).toEqual({ authorization: 'Bearer tenant-token' });
    expect((await resolve(service({ bearerTokenEnv: 'FILE_TOKEN' }), dispatcher)).headers).toEqual({ authorization: 'Bearer file-token' });
  });
});
