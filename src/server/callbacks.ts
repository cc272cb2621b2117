// POST /callbacks/<token>: where async operations' providers report results. The token finds the
// job; the operation's verify config checks the signature before anything changes; the body is
// mapped by its result config and handed to receiveCallback. No API key: the unguessable token and
// the signature are the credentials. Every answer is a small JSON object; no input can crash it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallbackSecret } from '../callbacks/secrets';
import { mapCallbackResult, type CallbackResult } from '../callbacks/result';
import { CALLBACK_PATH_PREFIX, hashCallbackToken, isCallbackToken } from '../callbacks/token';
import { verifyCallback } from '../callbacks/verify';
import { RESPONSE_BODY_LOG_CHARS } from '../clients/http';
import type { Db } from '../db/client';
import { isPlainObject } from '../json-template';
import type { Logger } from '../logger';
import type { FinishMetrics } from '../metrics';
import { isDatabaseUnavailable } from '../db/unavailable';
import { findCallbackTarget, receiveCallback, type FollowUpRules, type Received } from '../queue';
import type { LiveRegistry } from '../registry';
import { callbackSecretEnv } from '../registry/tenant-secrets';

/** Provider callbacks are small status reports; 256 KiB is far above any we know and caps a flood. */
const MAX_CALLBACK_BYTES = 256 * 1024;

interface CallbackRouteOptions {
  db: Db;
  registry: LiveRegistry;
  callbackSecret: CallbackSecret;
  metrics: FinishMetrics;
  /** What the follow-ups of a job this callback ends are built against. */
  followUpRules: FollowUpRules;
  log: Logger;
}

type Reply = { status: number; body: Record<string, unknown> };
const reply = (status: number, body: Record<string, unknown>): Reply => ({ status, body });
const NOT_FOUND = reply(404, { error: 'unknown return address' });

/** Returns false for any other path (the next handler answers it). */
export function createCallbackRoute(opts: CallbackRouteOptions) {
  const log = opts.log.child({ component: 'callbacks' });
  return function serveCallback(req: IncomingMessage, res: ServerResponse): boolean {
    const path = req.url?.split('?')[0] ?? '';
    if (!path.startsWith(CALLBACK_PATH_PREFIX)) return false;
    handle(req, path.slice(CALLBACK_PATH_PREFIX.length))
      .catch((err: unknown) => {
        // Nobody to answer, nothing changed, and anyone with a well-formed token can do it: no error line.
        if (err instanceof BodyClosed) {
          log.debug('callback request closed before its body ended');
          return reply(400, { error: 'request closed' });
        }
        // Either way nothing changed and the provider should send it again: a 503 says so plainly.
        if (isDatabaseUnavailable(err)) return reply(503, { error: 'database unavailable; send the callback again later' });
        log.error({ err }, 'callback could not be processed');
        return reply(500, { error: 'could not process the callback; send it again' });
      })
      .then(({ status, body }) => {
        if (res.headersSent) return;
        // A refused body may still be arriving: close the connection rather than read it.
        const close = status === 413 ? { connection: 'close' } : {};
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...close });
        res.end(JSON.stringify(body));
      });
    return true;
  };

  async function handle(req: IncomingMessage, token: string): Promise<Reply> {
    if (req.method !== 'POST') return reply(405, { error: 'use POST' });
    if (!isCallbackToken(token)) return NOT_FOUND;
    const text = await readBody(req);
    if (text === undefined) return reply(413, { error: `body larger than ${MAX_CALLBACK_BYTES} bytes` });
    const tokenHash = hashCallbackToken(token);
    const target = await findCallbackTarget(opts.db, tokenHash);
    if (!target) return NOT_FOUND;
    const registry = opts.registry.forTenant(target.tenantId);
    const service = registry.service(target.service);
    const operation = registry.operation(target.service, target.operation);
    const config = operation?.async;
    if (!service || !operation || !config) return reply(404, { error: 'the operation no longer takes callbacks' });
    const secret = opts.callbackSecret(service, operation);
    if (!secret) {
      const envName = callbackSecretEnv(config.verify);
      log.error({ service: service.name, operation: operation.name, envName }, 'callback secret is not set (or not the tenant\'s); callback refused');
      return reply(503, { error: 'the callback secret is not configured; send it again later' });
    }
    const verified = verifyCallback(config.verify, secret, req.headers, text);
    if (!verified.ok) return reply(verified.status, { error: verified.reason });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return reply(400, { error: 'body is not JSON' });
    }
    const field = config.correlationField;
    if (field !== undefined && isPlainObject(body) && Object.hasOwn(body, field) && String(body[field]) !== target.correlationId) {
      return reply(409, { error: `${field} is not the correlation id of this return address's job` });
    }
    const result = mapCallbackResult(body, config.result);
    const now = new Date();
    const received = await receiveCallback(opts.db, {
      tokenHash,
      webhookId: verified.webhookId,
      result,
      attempt: {
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
        outcome: 'callback',
        request: { method: 'POST', url: `${CALLBACK_PATH_PREFIX}[token]`, headers: verified.webhookId ? { 'webhook-id': verified.webhookId } : {} },
        responseBody: text.slice(0, RESPONSE_BODY_LOG_CHARS),
        error: errorOf(result),
      },
    }, opts.followUpRules);
    if (received.kind === 'completed') {
      opts.metrics.jobFinished(received.job.service, received.job.operation, received.job.status);
      if (received.job.followUps) opts.metrics.followUpsCreated(received.job.followUps);
    }
    log.info({ jobId: target.jobId, outcome: received.kind }, 'callback');
    return answer(received);
  }
}

function answer(received: Received): Reply {
  switch (received.kind) {
    case 'unknown':
      return NOT_FOUND;
    case 'ignored':
      // 2xx: the provider has delivered; sending it again could not change a job that stopped waiting.
      return reply(200, { status: 'ignored', reason: `the job no longer waits for a callback (${received.status ?? 'gone'})` });
    case 'completed':
    case 'stored':
      return reply(200, { status: 'received' });
    case 'replay':
      return reply(200, { status: 'duplicate' });
    case 'progress':
      return reply(200, { status: 'progress' });
  }
}

function errorOf(result: CallbackResult): string | null {
  if (result.kind === 'failed') return result.error;
  if (result.kind === 'progress') return `status "${result.status}" is not final: still waiting`;
  return null;
}

/**
 * The body as text, or undefined once it passes MAX_CALLBACK_BYTES (declared or streamed). The
 * rest is not read: the 413 goes out with `connection: close` instead of waiting for it.
 */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  if (Number(req.headers['content-length']) > MAX_CALLBACK_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', reject).off('close', onClose);
      req.pause();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_CALLBACK_BYTES) return void chunks.push(chunk);
      stop();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    // The provider hung up mid-body: nothing to answer, nothing changed.
    const onClose = () => reject(new BodyClosed());
    req.on('data', onData).on('end', onEnd).on('error', reject).on('close', onClose);
  });
}

/** The client hung up before its body ended. */
class BodyClosed extends Error {}
