// The secret an async operation's callbacks are signed with, for the callback route (to verify)
// and the mock provider (to sign): the variable its verify config names, under the tenant rule.
// Outside production, a service answered by its mock whose variable is unset gets a random secret
// of this process, so the mock async flow runs with `npm start` alone and no known secret exists.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger';
import { callbackSecretEnv, mayReadEnv } from '../registry/tenant-secrets';
import type { OperationDef, ServiceDef } from '../registry/types';

export type CallbackSecret = (service: ServiceDef, operation: OperationDef) => string | undefined;

interface CallbackSecretOptions {
  secret: (name: string) => string | undefined;
  production: boolean;
  log: Logger;
}

export function createCallbackSecrets({ secret, production, log }: CallbackSecretOptions): CallbackSecret {
  const generated = new Map<string, string>();
  return (service, operation) => {
    if (!operation.async) return undefined;
    const name = callbackSecretEnv(operation.async.verify);
    if (!mayReadEnv(service.tenantId, name)) return undefined;
    const value = secret(name);
    if (value) return value;
    const mocked = service.kind === 'mock' || service.mode === 'mock';
    if (production || !mocked) return undefined;
    let made = generated.get(name);
    if (!made) {
      made = `whsec_${randomBytes(32).toString('base64')}`;
      generated.set(name, made);
      log.warn({ envName: name }, 'callback secret not set: the mock signs and this instance verifies with a random one (development only)');
    }
    return made;
  };
}
