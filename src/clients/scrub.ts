// Replaces the secrets the gateway sent with [REDACTED] in whatever it stores from an attempt, so
// an upstream that echoes request headers back cannot plant a credential in a job's output.

const SCRUBBED = '[REDACTED]';

/**
 * Returns a function that scrubs every given secret from a text, raw and in its JSON-escaped form
 * (a secret with a quote or backslash appears escaped in a JSON body). Longest first, so a
 * secret that contains another is replaced whole.
 */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.filter((s) => s !== '').flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort(
    (a, b) => b.length - a.length,
  );
  if (forms.length === 0) return (text) => text;
  return (text) => forms.reduce((out, form) => out.replaceAll(form, SCRUBBED), text);
}
