const db = require('./db');

/** Record a movement and update the level in one transaction. */
async function move(warehouseId, productId, delta, reason, reference = null) {
  return db.transaction(async (trx) => {
    let level = await trx('stock_levels')
      .where({ warehouse_id: warehouseId, product_id: productId })
      .first();
    if (!level) {
      const [id] = await trx('stock_levels').insert({
        warehouse_id: warehouseId,
        product_id: productId,
        quantity: 0,
      });
      level = { id, quantity: 0 };
    }
    await trx('stock_levels').where({ id: level.id }).update({ quantity: level.quantity + delta });
    await trx('stock_movements').insert({ stock_level_id: level.id, delta, reason, reference });
    return level.quantity + delta;
  });
}

/** Products at or below their reorder level in any warehouse. */
function belowReorderLevel() {
  return db('stock_levels')
    .join('products', 'products.id', 'stock_levels.product_id')
    .whereRaw('stock_levels.quantity <= products.reorder_level')
    .andWhere('products.discontinued', false)
    .select('products.sku', 'products.name', 'stock_levels.warehouse_id', 'stock_levels.quantity');
}

module.exports = { move, belowReorderLevel };
