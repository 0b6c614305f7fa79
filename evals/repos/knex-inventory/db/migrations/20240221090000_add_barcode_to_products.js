/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = async function (knex) {
  await knex.schema.alterTable('products', (table) => {
    table.string('barcode', 14);
  });
  await knex.schema.alterTable('products', (table) => {
    table.unique(['barcode'], { indexName: 'products_barcode_unique' });
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = async function (knex) {
  await knex.schema.alterTable('products', (table) => {
    table.dropUnique(['barcode'], 'products_barcode_unique');
  });
  await knex.schema.alterTable('products', (table) => {
    table.dropColumn('barcode');
  });
};
