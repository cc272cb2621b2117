// The token cache is keyed by the whole grant, secret included: a caller with the right token URL
// and client id but another secret gets its own token request (and the server's refusal), never
// the token fetched with someone else's secret.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTokenSource, TokenError, type ClientCredentials } from '../../src/clients/oauth2';

const GOOD = Buffer.from('client-a:secret-a').toString('base64');
let server: Server;
let requests = 0;
let tokenUrl: string;
const agent = new Agent();

beforeAll(async () => {
  server = createServer((req, res) => {
    requests += 1;
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== `Basic ${GOOD}`) {
      res.statusCode = 401;
      return res.end(JSON.stringify({ error: 'invalid_client' }));
    }
    res.end(JSON.stringify({ access_token: `tok-${requests}`, expires_in: 3600 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
afterAll(async () => {
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
});

it('never hands a cached token to a grant with another client secret', async () => {
  const source = createTokenSource();
  const owner: ClientCredentials = { tokenUrl, clientId: 'client-a', clientSecret: 'secret-a' };
  const intruder: ClientCredentials = { ...owner, clientSecret: 'guessed' };
  expect(await source.token(owner, agent)).toBe('tok-1');
  expect(await source.token(owner, agent)).toBe('tok-1');
  expect(requests).toBe(1);
  const refused = await source.token(intruder, agent).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(TokenError);
  expect((refused as TokenError).message).toContain('invalid_client');
  expect(requests).toBe(2);
});
