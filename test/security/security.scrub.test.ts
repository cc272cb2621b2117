// An upstream that echoes the request back (many debugging endpoints do, and a hostile one would)
// cannot plant a credential in what the gateway stores: output, responseBody and error show
// [REDACTED] where the secret the gateway sent would be.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/clients/http';
import type { UpstreamClient } from '../../src/clients/types';
import type { AuthConfig } from '../../src/registry/types';
import { callRequest, startRecordingServer, type RecordingServer } from './outbound-fixtures';

const SECRETS: Record<string, string> = {
  TOKEN: 'tok-s3cr3t-501',
  API_KEY: 'key-"quoted"\\-502',
  USER: 'alice',
  PASS: 'pw-s3cr3t-503',
};
const BASIC = Buffer.from(`alice:${SECRETS.PASS}`).toString('base64');

let echo: RecordingServer;
let client: UpstreamClient;

beforeAll(async () => {
  // Echoes every request header, as JSON; a 500 for paths under /fail so the error path is seen too.
  echo = await startRecordingServer((req, res) => {
    res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ note: `you sent ${req.headers.authorization ?? req.headers['x-api-key']}`, headers: req.headers }));
  });
  client = createHttpClient({ secret: (name) => SECRETS[name] });
});
afterAll(async () => {
  await client.close();
  await echo.close();
});

describe('secrets echoed back by the upstream', () => {
  it.each<[string, AuthConfig, string[]]>([
    ['bearer', { bearerTokenEnv: 'TOKEN' }, [SECRETS.TOKEN!]],
    ['api key header', { apiKeyHeader: { name: 'X-Api-Key', valueEnv: 'API_KEY' } }, [SECRETS.API_KEY!]],
    ['basic', { basic: { usernameEnv: 'USER', passwordEnv: 'PASS' } }, [SECRETS.PASS!, BASIC]],
  ])('%s: stored output, responseBody and error show [REDACTED]', async (_kind, auth, secrets) => {
    const ok = await client.call(callRequest({ baseUrl: echo.url, path: '/ok', auth }));
    const failed = await client.call(callRequest({ baseUrl: echo.url, path: '/fail', auth }));
    expect(ok.outcome).toBe('success');
    expect(failed).toMatchObject({ outcome: 'http_error', httpStatus: 500 });
    expect(JSON.stringify(ok.output)).toContain('[REDACTED]');
    expect(ok.responseBody).toContain('[REDACTED]');
    expect(failed.responseBody).toContain('[REDACTED]');
    expect(failed.error).toContain('[REDACTED]');
    const stored = JSON.stringify([ok.output, ok.responseBody, failed.responseBody, failed.error, ok.request, failed.request]);
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
  });

  it('leaves a body without secrets as it was', async () => {
    const result = await client.call(callRequest({ baseUrl: echo.url, path: '/ok' }));
    expect(result.output).toMatchObject({ headers: { 'idempotency-key': 'idem-1' }, note: 'you sent undefined' });
  });
});
