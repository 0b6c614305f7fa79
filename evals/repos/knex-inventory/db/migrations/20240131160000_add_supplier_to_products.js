/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = async function (knex) {
  await knex.schema.alterTable('products', (table) => {
    table
      .integer('supplier_id')
      .unsigned()
      .references('id')
      .inTable('suppliers')
      .onDelete('SET NULL');
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = async function (knex) {
  await knex.schema.alterTable('products', (table) => {
    table.dropForeign('supplier_id');
    table.dropColumn('supplier_id');
  });
};
