import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAccessLog, createLogger, lazyRequestLogger } from './logger.js';

/** A logger writing JSON lines to memory, and how many children were made of it. */
function recordingLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, {
    write: (chunk: string) => {
      lines.push(JSON.parse(chunk) as Record<string, unknown>);
    },
  });
  let children = 0;
  const child = logger.child;
  // pino's children inherit from their parent, so this counts (and serves) theirs too.
  logger.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    children += 1;
    return child.apply(this, args);
  } as Logger['child'];
  return { logger, lines, children: () => children };
}

describe('lazyRequestLogger', () => {
  it('makes no child for a request that writes nothing at an enabled level', () => {
    const { logger, lines, children } = recordingLogger('warn');
    const requestLog = lazyRequestLogger(logger, { reqId: 'r-1' }, {});
    requestLog.info({ route: '/health' }, 'request');
    requestLog.debug('details');
    expect(requestLog.isLevelEnabled('info')).toBe(false);
    expect(requestLog.level).toBe('warn');
    expect(children()).toBe(0);
    expect(lines).toEqual([]);
  });

  it('writes with the bindings, and still redacts, once a line is due', () => {
    const { logger, lines, children } = recordingLogger('info');
    const requestLog = lazyRequestLogger(logger, { reqId: 'r-2' }, {});
    requestLog.info({ body: { password: 'hunter2 hunter2' } }, 'request');
    requestLog.error('second line');
    expect(children()).toBe(1);
    expect(lines).toMatchObject([
      { reqId: 'r-2', msg: 'request', body: { password: '[redacted]' } },
      { reqId: 'r-2', msg: 'second line', level: 50 },
    ]);
  });

  it('passes bindings on to its own children, and a level change stays with the request', () => {
    const { logger, lines } = recordingLogger('info');
    const requestLog = lazyRequestLogger(logger, { reqId: 'r-3' }, {});
    requestLog.child({ step: 'mail' }).info('nested');
    requestLog.level = 'error';
    requestLog.warn('dropped');
    expect(logger.level).toBe('info');
    expect(lines).toMatchObject([{ reqId: 'r-3', step: 'mail', msg: 'nested' }]);
    expect(lines).toHaveLength(1);
  });

  it('makes a real child at once for a route with its own level', () => {
    const { logger, lines, children } = recordingLogger('warn');
    const requestLog = lazyRequestLogger(logger, { reqId: 'r-4' }, { level: 'debug' });
    expect(children()).toBe(1);
    requestLog.debug('verbose route');
    expect(lines).toMatchObject([{ reqId: 'r-4', msg: 'verbose route' }]);
  });
});

describe('createAccessLog', () => {
  const line = {
    reqId: 'r-42',
    method: 'GET',
    route: '/auth/profile',
    url: '/a "quoted"\\path\nwith\u2028 é',
    statusCode: 200,
    responseTimeMs: 0.4,
    ip: '127.0.0.1',
  };

  it("writes pino's line, one JSON object per line, whatever characters the path holds", () => {
    const { logger, lines } = recordingLogger('info');
    // The same stream as pino's own lines: both kinds interleave as one JSON-lines log.
    logger.info({ route: '/x' }, 'other');
    const accessLog = createAccessLog(logger);
    expect(accessLog.enabled()).toBe(true);
    accessLog.write(line);
    expect(lines).toHaveLength(2);
    const [pinoLine, accessLine] = lines as [Record<string, unknown>, Record<string, unknown>];
    expect(Object.keys(accessLine)).toEqual([
      ...['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'route', 'url', 'statusCode'],
      ...['responseTimeMs', 'ip', 'msg'],
    ]);
    expect(accessLine).toMatchObject({ ...line, level: 30, msg: 'request', pid: pinoLine.pid });
    expect(accessLine.hostname).toBe(pinoLine.hostname);
    expect(accessLine.time).toEqual(expect.any(Number));
  });

  it('is off above info, and follows a level changed at run time', () => {
    const { logger, lines } = recordingLogger('warn');
    const accessLog = createAccessLog(logger);
    expect(accessLog.enabled()).toBe(false);
    logger.level = 'info';
    expect(accessLog.enabled()).toBe(true);
    expect(lines).toHaveLength(0);
  });
});
