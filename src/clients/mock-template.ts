// Fills a mock response template from the job: "{{input.a.b}}" and "{{jobId}}" strings, so a mock
// answers with what a real upstream would echo back (ids, amounts) rather than one fixed body.

export interface TemplateContext {
  input: unknown;
  jobId: string;
}

/** A string that is exactly one placeholder; `[^{}]` keeps two placeholders from reading as one. */
const WHOLE_PLACEHOLDER = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;
/** Braces around something else (`{{name}}`) are plain text, so a template may contain them. */
const NOT_A_PLACEHOLDER = Symbol('not a placeholder');

/**
 * Returns a copy of `template` with placeholders replaced. A string that is one placeholder takes
 * the value itself (a number stays a number); a placeholder inside longer text is stringified.
 * A path missing from the input gives `null` (whole) or `""` (inside text); anything other than
 * `input…` or `jobId` between braces is left as written.
 */
export function renderMockResponse(template: unknown, ctx: TemplateContext): unknown {
  if (typeof template === 'string') return renderString(template, ctx);
  if (Array.isArray(template)) return template.map((item) => renderMockResponse(item, ctx));
  if (isPlainObject(template)) {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, renderMockResponse(value, ctx)]));
  }
  return template;
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
  if (expr === 'jobId') return ctx.jobId;
  const [root, ...path] = expr.split('.');
  if (root !== 'input') return NOT_A_PLACEHOLDER;
  let value: unknown = ctx.input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
