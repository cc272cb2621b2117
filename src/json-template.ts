// `{{…}}` templates over JSON, shared by mock responses (filled from the job) and follow-up inputs
// (filled from the parent job): one syntax, so what works in one works in the other.

/** The values a template may name: `{{input.a.b}}`, `{{jobId}}`, … (the roots a caller offers). */
type TemplateContext = Readonly<Record<string, unknown>>;

/** A string that is exactly one placeholder; `[^{}]` keeps two placeholders from reading as one. */
const WHOLE_PLACEHOLDER = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;
/** Braces around something else (`{{name}}`) are plain text, so a template may contain them. */
const NOT_A_PLACEHOLDER = Symbol('not a placeholder');

/**
 * Returns a copy of `template` with placeholders replaced. A string that is one placeholder takes
 * the value itself (a number stays a number); a placeholder inside longer text is stringified.
 * A path missing from the context gives `null` (whole) or `""` (inside text); a root the context
 * does not offer between braces is left as written.
 */
export function renderTemplate(template: unknown, ctx: TemplateContext): unknown {
  if (typeof template === 'string') return renderString(template, ctx);
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, ctx));
  if (isPlainObject(template)) {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, renderTemplate(value, ctx)]));
  }
  return template;
}

/** Every placeholder expression in the template's strings, trimmed: `input.a`, `jobId`. */
export function templatePlaceholders(template: unknown): string[] {
  if (typeof template === 'string') return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  if (Array.isArray(template)) return template.flatMap(templatePlaceholders);
  if (isPlainObject(template)) return Object.values(template).flatMap(templatePlaceholders);
  return [];
}

/** The root a placeholder names: `input` for `input.a.0`. */
export function placeholderRoot(expr: string): string {
  return expr.split('.', 1)[0]!;
}

function renderString(text: string, ctx: TemplateContext): unknown {
  const whole = WHOLE_PLACEHOLDER.exec(text);
  if (whole?.[1] !== undefined) {
    const found = resolve(whole[1], ctx);
    return found === NOT_A_PLACEHOLDER ? text : (found ?? null);
  }
  return text.replace(PLACEHOLDER, (match, expr: string) => {
    const found = resolve(expr, ctx);
    if (found === NOT_A_PLACEHOLDER) return match;
    if (found === undefined || found === null) return '';
    return typeof found === 'string' ? found : JSON.stringify(found);
  });
}

/** `jobId`, `input` or `input.a.0.b` (own properties only); undefined when the path is missing. */
function resolve(expr: string, ctx: TemplateContext): unknown {
  const [root, ...path] = expr.split('.');
  if (root === undefined || !Object.hasOwn(ctx, root)) return NOT_A_PLACEHOLDER;
  let value: unknown = ctx[root];
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
