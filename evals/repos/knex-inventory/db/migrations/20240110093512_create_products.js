/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = function (knex) {
  return knex.schema.createTable('products', (table) => {
    table.increments('id');
    table.string('sku', 40).notNullable().unique();
    table.string('name', 200).notNullable();
    table.text('description');
    table.integer('unit_cost_cents').notNullable().defaultTo(0);
    table.boolean('discontinued').notNullable().defaultTo(false);
    table.timestamps(true, true);
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = function (knex) {
  return knex.schema.dropTable('products');
};
