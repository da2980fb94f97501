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

/**
 * To stdout without a write call per line: lines written while a write is in
 * flight go out together in the next one (each line is still written at once
 * when the server is idle). `flushLogger` before the process exits.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' } },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Writes out what the asynchronous destination still holds. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * The logger of the one line per request, on the same stream and level as
 * `logger` but without redaction: that line is built from fixed fields that
 * hold no secret (method, route, path without its query, status, time, ip,
 * request id), and redacting it (wildcard paths over every object) was the
 * largest part of its cost.
 */
export function createAccessLogger(logger: Logger): Logger {
  // Library boundary: pino exposes a logger's stream under this symbol, which its types do not declare.
  const stream = (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: logger.level }, stream);
}

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify makes a child logger for every request. With redaction on, pino
 * serializes and redacts a child's bindings when it is made: about 6% of the
 * CPU of a simple request, for a logger most requests never write to (one line
 * per request at `info`; production runs at `info`, benchmarks at `warn`).
 * This stand-in makes the real child on the first line actually written. A
 * class, not an object of closures: one is made per request (50 ns vs 1.5 µs).
 */
class LazyRequestLogger {
  #parent: Logger;
  #bindings: pino.Bindings;
  #options: pino.ChildLoggerOptions;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  #write(level: LevelName, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.#real()[level] as (...line: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]) {
    this.#write('fatal', args);
  }
  error(...args: unknown[]) {
    this.#write('error', args);
  }
  warn(...args: unknown[]) {
    this.#write('warn', args);
  }
  info(...args: unknown[]) {
    this.#write('info', args);
  }
  debug(...args: unknown[]) {
    this.#write('debug', args);
  }
  trace(...args: unknown[]) {
    this.#write('trace', args);
  }
  silent() {}

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.#real().child(bindings, options);
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#real().level = level;
  }
}

export function lazyRequestLogger(parent: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  // A route with its own log level needs a real child at once: the level is the child's.
  if (options.level) return parent.child(bindings, options);
  return new LazyRequestLogger(parent, bindings, options) as unknown as Logger;
}
