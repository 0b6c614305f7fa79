// Alter products name

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = async function (knex) {
  // SQLite rebuilds products for this; Knex keeps its rows only outside a transaction
  await knex.schema.alterTable('products', (table) => {
    table.text('name').notNullable().alter({ alterNullable: false });
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = async function (knex) {
  // SQLite rebuilds products for this; Knex keeps its rows only outside a transaction
  await knex.schema.alterTable('products', (table) => {
    table.string('name', 200).notNullable().alter({ alterNullable: false });
  });
};

// a step cannot run inside a transaction, so Knex must not open one
exports.config = { transaction: false };
