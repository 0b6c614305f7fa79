const fastify = require('fastify')({ logger: true });
const { move, belowReorderLevel } = require('./stock');

fastify.post('/movements', async (request) => {
  const { warehouseId, productId, delta, reason, reference } = request.body;
  return { quantity: await move(warehouseId, productId, delta, reason, reference) };
});

fastify.get('/reorder', async () => belowReorderLevel());

fastify.listen({ port: Number(process.env.PORT) || 3000 });
