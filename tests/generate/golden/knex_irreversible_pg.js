// Create enum mood and add sad to mood

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = async function (knex) {
  // Knex has no builder for a PostgreSQL enum type
  await knex.raw("CREATE TYPE mood AS ENUM ('happy')");
  await knex.raw("ALTER TYPE mood ADD VALUE 'sad'");
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = async function (knex) {
  throw new Error(
    "irreversible migration: PostgreSQL cannot remove the value 'sad' from mood; recreating the type is a separate, locking migration",
  );
};

// a step cannot run inside a transaction, so Knex must not open one
exports.config = { transaction: false };
