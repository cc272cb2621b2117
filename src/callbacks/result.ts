// Reads a callback body by the operation's `result` map (JSON Pointers): a status in succeededWhen
// ends the job SUCCEEDED with the output, one in failedWhen FAILED with the error; any other
// status is progress ("processing"): logged, and the job keeps waiting for a final callback.
import type { CallbackResultMap } from '../db/schema';

export type CallbackResult =
  | { kind: 'succeeded'; output: unknown }
  | { kind: 'failed'; error: string }
  | { kind: 'progress'; status: string };

/** A callback result that ends the job. */
export type FinalResult = Exclude<CallbackResult, { kind: 'progress' }>;

/** An error message stays one short line in lastError and the attempt log. */
const ERROR_CHARS = 500;

export function mapCallbackResult(body: unknown, map: CallbackResultMap): CallbackResult {
  const found = readPointer(body, map.status);
  const status = typeof found === 'string' || typeof found === 'number' || typeof found === 'boolean' ? String(found) : '';
  if (map.succeededWhen.includes(status)) {
    const output = map.output === undefined ? body : readPointer(body, map.output);
    return { kind: 'succeeded', output: output ?? null };
  }
  if (map.failedWhen.includes(status)) {
    const detail = map.error === undefined ? undefined : readPointer(body, map.error);
    const text = detail === undefined || detail === null ? '' : typeof detail === 'string' ? detail : JSON.stringify(detail);
    return { kind: 'failed', error: `callback status "${status}"${text ? `: ${text.slice(0, ERROR_CHARS)}` : ''}` };
  }
  return { kind: 'progress', status: status || '(none)' };
}

/** RFC 6901; own properties only, so `/__proto__` or `/constructor` find nothing. */
export function readPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let value = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
      value = value[Number(key)];
    } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, key)) {
      value = (value as Record<string, unknown>)[key];
    } else return undefined;
  }
  return value;
}
