// The Duration scalar: "90s", "90m", "1h", "7d" on the wire, milliseconds in resolvers. A bad
// value fails validation with the parser's message, before any resolver runs.
import { GraphQLError } from 'graphql';
import { DurationError, formatDuration, parseDuration } from '../duration';
import { builder } from './builder';

export const DurationScalar = builder.scalarType('Duration', {
  description: 'A length of time: a whole number and a unit s, m, h or d ("90s", "90m", "1h", "7d"), at most 30 days.',
  serialize: (ms) => formatDuration(ms as number),
  parseValue: (value) => {
    try {
      return parseDuration(value);
    } catch (err) {
      if (err instanceof DurationError) throw new GraphQLError(err.message, { extensions: { code: 'BAD_USER_INPUT' } });
      throw err;
    }
  },
});
