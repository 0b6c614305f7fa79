/**
 * Every change of a stock level, so counts can be audited.
 *
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = function (knex) {
  return knex.schema.createTable('stock_movements', (table) => {
    table.increments('id');
    table
      .integer('stock_level_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('stock_levels')
      .onDelete('CASCADE');
    table.integer('delta').notNullable();
    table.enu('reason', ['received', 'shipped', 'adjusted', 'returned']).notNullable();
    table.string('reference', 64);
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    table.index(['stock_level_id', 'created_at']);
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = function (knex) {
  return knex.schema.dropTable('stock_movements');
};
