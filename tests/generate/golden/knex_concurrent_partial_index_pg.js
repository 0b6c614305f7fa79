// Add index on products warehouse_id

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = async function (knex) {
  // Knex has no builder for CREATE INDEX CONCURRENTLY
  await knex.raw(
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_products_warehouse_id ON products (warehouse_id) WHERE discontinued = false',
  );
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = async function (knex) {
  // Knex has no builder for DROP INDEX CONCURRENTLY
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS ix_products_warehouse_id');
};

// a step cannot run inside a transaction, so Knex must not open one
exports.config = { transaction: false };
