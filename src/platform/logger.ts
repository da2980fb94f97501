import pino, { type Logger } from 'pino';

// Secrets never reach the log, whatever a future log line includes.
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.otp',
  '*.code',
  '*.token',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogMethod = (...args: unknown[]) => void;

/**
 * Fastify makes a child logger for every request. With redaction on, pino
 * serializes and redacts a child's bindings when it is made: about 6% of the
 * CPU of a simple request, for a logger most requests never write to (one line
 * per request at `info`; production runs at `info`, benchmarks at `warn`).
 * This stand-in makes the real child on the first line actually written.
 */
export function lazyRequestLogger(parent: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  // A route with its own log level needs a real child at once: the level is the child's.
  if (options.level) return parent.child(bindings, options);
  let child: Logger | undefined;
  const real = () => {
    child ??= parent.child(bindings, options);
    return child;
  };
  const method =
    (level: LevelName): LogMethod =>
    (...args) => {
      if ((child ?? parent).isLevelEnabled(level)) (real()[level] as LogMethod)(...args);
    };
  return {
    fatal: method('fatal'),
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
    trace: method('trace'),
    silent: () => {},
    child: (more: pino.Bindings, moreOptions?: pino.ChildLoggerOptions) => real().child(more, moreOptions),
    isLevelEnabled: (level: string) => (child ?? parent).isLevelEnabled(level),
    get level() {
      return (child ?? parent).level;
    },
    set level(level: string) {
      real().level = level;
    },
  } as unknown as Logger;
}
