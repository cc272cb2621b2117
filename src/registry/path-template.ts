// The grammar of an operation's path template (`/charges/{chargeId}/refunds`), shared by the
// registry, which checks templates once, and the http client, which fills them on every attempt.

/** `{name}`; a name is what a JSON property name can usefully be in a URL template. */
export const PATH_PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The placeholder names of a template, in order. */
export function pathPlaceholders(template: string): string[] {
  return [...template.matchAll(PATH_PLACEHOLDER)].map((m) => m[1] as string);
}

export function isPlaceholderName(name: string): boolean {
  return PLACEHOLDER_NAME.test(name);
}

/**
 * A `.` or `..` segment, raw or percent-encoded: URL parsers and servers resolve them, so the
 * request would leave the path the template describes (`/api/users/..` is `/api/`).
 */
export function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}
