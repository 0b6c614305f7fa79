const express = require('express');
const { z } = require('zod');
const { prisma } = require('./db');

const app = express();
app.use(express.json());

app.get('/products', async (req, res) => {
  const products = await prisma.product.findMany({
    where: { isActive: true },
    include: { category: true },
    orderBy: { name: 'asc' },
  });
  res.json(products);
});

const orderInput = z.object({
  customerId: z.number().int(),
  shippingAddressId: z.number().int().optional(),
  items: z.array(z.object({ productId: z.number().int(), quantity: z.number().int().positive() })).min(1),
});

app.post('/orders', async (req, res) => {
  const input = orderInput.parse(req.body);
  const products = await prisma.product.findMany({
    where: { id: { in: input.items.map((i) => i.productId) } },
  });
  const price = new Map(products.map((p) => [p.id, p.priceCents]));
  const order = await prisma.order.create({
    data: {
      customerId: input.customerId,
      shippingAddressId: input.shippingAddressId,
      totalCents: input.items.reduce((sum, i) => sum + price.get(i.productId) * i.quantity, 0),
      items: {
        create: input.items.map((i) => ({
          productId: i.productId,
          quantity: i.quantity,
          unitPriceCents: price.get(i.productId),
        })),
      },
    },
    include: { items: true },
  });
  res.status(201).json(order);
});

app.listen(process.env.PORT || 3000);
