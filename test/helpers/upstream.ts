// A real HTTP server on 127.0.0.1 standing in for an external service: scripted per path to answer,
// hang, reset or trickle, and recording what it received, so client and worker tests see real faults.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Step =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Answers this status with `{ headers }`: the request's own headers, as a careless upstream echoes them. */
  | { echoHeaders: number }
  | { hang: true }
  | { reset: true }
  | { slowBody: { chunks: number; intervalMs: number } }
  | { bigBody: number };

export interface RecordedRequest {
  method: string;
  /** Path with its query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body parses, else its text ('' when there was none). */
  body: unknown;
  receivedAt: number;
}

export interface Upstream {
  /** Like `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  /** Requests that arrived while another with the same `idempotency-key` was still in flight. */
  readonly overlaps: number;
  /** Steps answer successive requests to `path` (matched without the query); the last repeats. */
  script(path: string, ...steps: Step[]): void;
  close(): Promise<void>;
}

/** Written in pieces so a client's size cap is met by a stream, not by one Content-Length. */
const BIG_BODY_CHUNK_BYTES = 64 * 1024;
const DEFAULT_STEP: Step = { status: 200, body: { ok: true } };

export async function startUpstream(): Promise<Upstream> {
  const scripts = new Map<string, Step[]>();
  const requests: RecordedRequest[] = [];
  const inFlight = new Map<string, number>();
  const sockets = new Set<Socket>();
  let overlaps = 0;

  const nextStep = (pathname: string): Step => {
    const steps = scripts.get(pathname);
    if (!steps || steps.length === 0) return DEFAULT_STEP;
    return steps.length > 1 ? (steps.shift() as Step) : (steps[0] as Step);
  };

  const trackKey = (req: IncomingMessage, res: ServerResponse): void => {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string') return;
    const count = inFlight.get(key) ?? 0;
    if (count > 0) overlaps += 1;
    inFlight.set(key, count + 1);
    res.once('close', () => inFlight.set(key, (inFlight.get(key) ?? 1) - 1));
  };

  const server = createServer((req, res) => {
    trackKey(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body: parseBody(Buffer.concat(chunks).toString('utf8')),
        receivedAt: Date.now(),
      });
      answer(nextStep(new URL(path, 'http://upstream').pathname), req, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get overlaps() {
      return overlaps;
    },
    script: (path, ...steps) => void scripts.set(path, steps),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

function answer(step: Step, req: IncomingMessage, res: ServerResponse): void {
  if ('hang' in step) return;
  if ('reset' in step) {
    req.socket.resetAndDestroy();
    return;
  }
  if ('slowBody' in step) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      if (sent < step.slowBody.chunks) res.write(`chunk ${sent}\n`);
      else res.end(`chunk ${sent}\n`);
    }, step.slowBody.intervalMs);
    res.once('close', () => clearInterval(timer));
    return;
  }
  if ('echoHeaders' in step) {
    res.writeHead(step.echoHeaders, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ headers: req.headers }));
    return;
  }
  if ('bigBody' in step) {
    writeBig(res, step.bigBody).catch(() => res.destroy());
    return;
  }
  const send = () => {
    const isText = typeof step.body === 'string';
    const headers = { 'content-type': isText ? 'text/plain' : 'application/json', ...step.headers };
    res.writeHead(step.status, headers);
    res.end(step.body === undefined ? undefined : isText ? step.body : JSON.stringify(step.body));
  };
  if (!step.delayMs) return send();
  const timer = setTimeout(send, step.delayMs);
  res.once('close', () => clearTimeout(timer));
}

/** Streams `bytes` of 'x' with backpressure, stopping when the client goes away. */
async function writeBig(res: ServerResponse, bytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const chunk = Buffer.alloc(BIG_BODY_CHUNK_BYTES, 'x');
  const gone = new Promise<void>((resolve) => res.once('close', resolve));
  for (let left = bytes; left > 0 && !res.destroyed; left -= chunk.length) {
    if (!res.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) {
      await Promise.race([new Promise<void>((resolve) => res.once('drain', resolve)), gone]);
    }
  }
  if (!res.destroyed) res.end();
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
