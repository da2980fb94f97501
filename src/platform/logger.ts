import { hostname } from 'node:os';
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

let stdout: pino.DestinationStream | undefined;

/**
 * Stdout, one per process, written in batches of 4 KB (one write call for
 * about twenty request lines) and at least every 100 ms, so a quiet server's
 * lines still appear at once to a person watching. The write is synchronous,
 * as pino's default: a batch costs one write(2) on the event loop and no
 * hand-off to the libuv pool, which cost more per line than the line itself
 * (bench/README.md). What the buffer holds is written before the process ends.
 */
function stdoutDestination(): pino.DestinationStream {
  if (!stdout) {
    const destination = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 100 });
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // stdout is already closed: nothing can be written anyway.
      }
    });
    stdout = destination;
  }
  return stdout;
}

/** `flushLogger` before the process exits on purpose; an unplanned exit flushes too. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination ?? stdoutDestination());
}

/** Writes out what the destination still holds. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

export interface AccessLine {
  reqId: string;
  method: string;
  route: string;
  url: string;
  statusCode: number;
  responseTimeMs: number;
  ip: string;
}

/**
 * The one line per request, written at `info` in pino's format (level, time,
 * pid, hostname, the fields, msg "request") on the logger's stream, but built
 * here: its fields are fixed and hold no secret (the path is without its
 * query), so it needs neither pino's redaction nor its generic serializer,
 * and it is written on every request. Each string is JSON-escaped.
 */
export function createAccessLog(logger: Logger) {
  // Library boundary: pino exposes a logger's stream under this symbol, which its types do not declare.
  const stream = (logger as unknown as Record<symbol, pino.DestinationStream | undefined>)[pino.symbols.streamSym];
  if (!stream) throw new Error('the logger has no destination stream');
  const base = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
  const text = JSON.stringify;
  return {
    enabled: () => logger.isLevelEnabled('info'),
    write(line: AccessLine): void {
      stream.write(
        `{"level":30,"time":${Date.now()}${base},"reqId":${text(line.reqId)},"method":${text(line.method)},` +
          `"route":${text(line.route)},"url":${text(line.url)},"statusCode":${line.statusCode},` +
          `"responseTimeMs":${line.responseTimeMs},"ip":${text(line.ip)},"msg":"request"}\n`,
      );
    },
  };
}

export type AccessLog = ReturnType<typeof createAccessLog>;

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
