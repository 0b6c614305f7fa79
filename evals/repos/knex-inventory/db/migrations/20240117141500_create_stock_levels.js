/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = function (knex) {
  return knex.schema.createTable('stock_levels', (table) => {
    table.increments('id');
    table
      .integer('warehouse_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('warehouses')
      .onDelete('CASCADE');
    table
      .integer('product_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('products')
      .onDelete('CASCADE');
    table.integer('quantity').notNullable().defaultTo(0);
    table.timestamp('counted_at');
    table.unique(['warehouse_id', 'product_id']);
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = function (knex) {
  return knex.schema.dropTable('stock_levels');
};
