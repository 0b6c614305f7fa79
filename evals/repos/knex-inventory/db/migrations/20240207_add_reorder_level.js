// Hot fix for the Feb 7 stock-out: reorder thresholds per product.
exports.up = (knex) =>
  knex.schema.alterTable('products', (table) => {
    table.integer('reorder_level').notNullable().defaultTo(0);
    table.integer('reorder_quantity').notNullable().defaultTo(0);
  });

exports.down = (knex) =>
  knex.schema.alterTable('products', (table) => {
    table.dropColumn('reorder_quantity');
    table.dropColumn('reorder_level');
  });
