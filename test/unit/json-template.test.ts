import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/json-template';

describe('renderTemplate over a follow-up context', () => {
  const ctx = { input: { email: 'a@example.com', qty: 2 }, output: { amount: 12.5, card: { last4: '4242' }, tags: ['x'] }, error: null, jobId: 'j1' };

  it('keeps the type of a whole-value placeholder and interpolates the rest', () => {
    expect(
      renderTemplate(
        {
          amount: '{{output.amount}}',
          card: '{{ output.card }}',
          tags: '{{output.tags}}',
          first: '{{output.tags.0}}',
          qty: '{{input.qty}}',
          line: '{{input.qty}} items, {{output.card}} for {{jobId}}',
          error: '{{error}}',
          missing: '{{output.nope}}',
          nested: ['{{input.email}}', { n: '{{input.qty}}' }],
        },
        ctx,
      ),
    ).toEqual({
      amount: 12.5,
      card: { last4: '4242' },
      tags: ['x'],
      first: 'x',
      qty: 2,
      line: '2 items, {"last4":"4242"} for j1',
      error: null,
      missing: null,
      nested: ['a@example.com', { n: 2 }],
    });
  });

  it('leaves roots the context does not offer, and inherited properties, as written', () => {
    expect(renderTemplate({ a: '{{output.x}}', b: '{{constructor}}', c: 'hi {{name}}' }, { input: {}, jobId: 'j' })).toEqual({
      a: '{{output.x}}',
      b: '{{constructor}}',
      c: 'hi {{name}}',
    });
    expect(renderTemplate('{{input.toString}}', { input: {} })).toBeNull();
  });
});
