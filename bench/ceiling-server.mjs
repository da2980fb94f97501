// The framework ceiling: a bare Fastify 5 route returning a small JSON object,
// in its own process, pinned to the same core as the server under test.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ status: 'ok', service: 'ceiling' }));

await app.listen({ port: Number(process.env.PORT ?? 3902), host: '127.0.0.1' });
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
