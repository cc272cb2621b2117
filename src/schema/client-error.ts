// A job's lastError as a client key sees it: the status code or error code and a short message,
// never a response body, an internal URL or address (those stay in the attempt log, for ops).
// Hasura leaked whole HTTP requests through async-action errors (hasura/graphql-engine#9992).

/** Enough for "timed out after 5000 ms" or a schema violation's first words; not for a body. */
const MAX_CLIENT_ERROR_CHARS = 120;

const HTTP_ERROR = /^HTTP (\d{3})\b/;
/** Node's network error codes (`ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:443`). */
const NETWORK_CODE = /^(E[A-Z_]+|UND_ERR_[A-Z_]+):/;
const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;
const IPV4 = /\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g;
const IPV6 = /\[?\b[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\]?(:\d+)?/gi;

export function clientError(lastError: string | null): string | null {
  if (lastError === null) return null;
  const http = HTTP_ERROR.exec(lastError);
  if (http) return `HTTP ${http[1]}`;
  const network = NETWORK_CODE.exec(lastError);
  if (network) return `network error (${network[1]})`;
  const cleaned = lastError.replace(URL_LIKE, '[url]').replace(IPV4, '[address]').replace(IPV6, '[address]');
  return cleaned.length > MAX_CLIENT_ERROR_CHARS ? `${cleaned.slice(0, MAX_CLIENT_ERROR_CHARS)}…` : cleaned;
}
