// The pino root logger; modules take a child (`log.child({ component: 'worker' })`).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'callgate' },
    redact: { paths: ['*.authorization', '*.headers.authorization', '*.token'], censor: '[redacted]' },
  });
}
