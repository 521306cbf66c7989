// The API baseline's server, run as its own (pinned) process: bare fastify answering a JSON POST
// with the body it got. Prints `listening <port>` once bound.
import Fastify from 'fastify';

const app = Fastify();
app.post('/echo', async (req) => ({ got: req.body }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${new URL(url).port}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
