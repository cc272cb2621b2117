// Builds an attempt's URL, body and headers from the operation's template and the job input. Input
// fills one path segment or one query value and nothing more: it cannot move the request elsewhere.
import { isPlainObject } from '../json-template';
import { PATH_PLACEHOLDER } from '../registry/path-template';
import { BODY_METHODS } from '../registry/types';
import type { CallRequest } from './types';

interface Target {
  url: string;
  body?: string;
}

/** Why a request cannot be built. Nothing is sent, and sending it again cannot help. */
interface Unbuildable {
  error: string;
  /** What the URL would have been, for the attempt log (the template, unfilled). */
  url: string;
}

/**
 * Would end the segment (`/`, and `\`, which WHATWG URLs read as `/`), start a query or fragment,
 * or break a request line (CR, LF, other controls). Encoding `/` as %2F is not enough: many
 * servers and proxies decode it before routing.
 */
const SEGMENT_BREAKERS = /[/\\?#\x00-\x1f\x7f]/;
/** Visible ASCII, space and tab (RFC 9110 field values without obs-text). */
const HEADER_VALUE = /^[\x20-\x7e\t]*$/;

/** Base URL (its path kept as a prefix) + the operation's path with `{name}` filled from the input. */
export function buildTarget(req: CallRequest): Target | Unbuildable {
  const { service, operation } = req;
  const input = isPlainObject(req.input) ? req.input : undefined;
  const rawPath = operation.path.startsWith('/') ? operation.path : `/${operation.path}`;
  if (!service.baseUrl) return { error: `service ${service.name} has no baseUrl`, url: rawPath };
  const base = new URL(service.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const unfilled = `${base.origin}${basePath}${rawPath}`;
  const used = new Set<string>();
  let problem: string | undefined;
  const path = rawPath.replace(PATH_PLACEHOLDER, (whole, name: string) => {
    problem ??= segmentProblem(name, input?.[name]);
    if (problem !== undefined) return whole;
    used.add(name);
    return encodeURIComponent(String(input?.[name]));
  });
  if (problem !== undefined) return { error: problem, url: unfilled };
  const url = new URL(`${base.origin}${basePath}${path}`);
  if (url.origin !== base.origin || !`${url.pathname}/`.startsWith(`${basePath}/`)) {
    return { error: `the request would leave ${service.baseUrl}`, url: unfilled };
  }
  const rest = input ? Object.fromEntries(Object.entries(input).filter(([key]) => !used.has(key))) : req.input;
  if (BODY_METHODS.has(operation.method)) {
    const body = withReturnAddress(rest ?? null, req);
    if (body instanceof Error) return { error: body.message, url: unfilled };
    return { url: url.toString(), body: JSON.stringify(body) };
  }
  if (isPlainObject(rest)) {
    // URLSearchParams percent-encodes `&`, `=`, `#` and controls, so a key or value stays one pair.
    for (const [key, value] of Object.entries(rest)) {
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return { error: `query parameter "${key}" must be a string, number or boolean (a ${operation.method} sends its input as a query string)`, url: unfilled };
      }
      url.searchParams.append(key, String(value));
    }
  }
  return { url: url.toString() };
}

/**
 * An async operation's body gets the job's correlation id and return address at the fields its
 * `async` block names. They overwrite input of the same name: a caller cannot redirect the callback.
 */
function withReturnAddress(body: unknown, req: CallRequest): unknown {
  const config = req.operation.async;
  if (!config || !req.callback || (config.correlationField === undefined && config.callbackField === undefined)) return body;
  if (body !== null && !isPlainObject(body)) return new Error('the input of an async operation must be an object (the correlation id and return address are added to it)');
  const added: Record<string, string> = {};
  if (config.correlationField !== undefined) added[config.correlationField] = req.callback.correlationId;
  if (config.callbackField !== undefined) added[config.callbackField] = req.callback.url;
  return { ...body, ...added };
}

/** The first header whose value could not be sent as one line of ASCII, described without its value. */
export function unsendableHeader(headers: Record<string, string>): string | undefined {
  const name = Object.keys(headers).find((key) => !HEADER_VALUE.test(headers[key] as string));
  return name === undefined ? undefined : `header "${name}" must be printable ASCII (no CR, LF, other control or non-ASCII characters)`;
}

/** Messages never quote the value: it is the caller's input, possibly hostile and of any size. */
function segmentProblem(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return `path parameter "${name}" is missing from the input`;
  if (typeof value !== 'string' && typeof value !== 'number') return `path parameter "${name}" must be a string or a number`;
  const text = String(value);
  if (text === '') return `path parameter "${name}" must not be empty`;
  if (text === '.' || text === '..') return `path parameter "${name}" must not be "." or ".."`;
  if (SEGMENT_BREAKERS.test(text)) return `path parameter "${name}" must not contain "/", "\\", "?", "#" or control characters`;
  return undefined;
}
