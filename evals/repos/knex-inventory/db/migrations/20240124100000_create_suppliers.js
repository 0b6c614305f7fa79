/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = function (knex) {
  return knex.schema.createTable('suppliers', (table) => {
    table.increments('id');
    table.string('name', 160).notNullable();
    table.string('contact_email', 254);
    table.string('phone', 32);
    table.integer('lead_time_days').notNullable().defaultTo(7);
    table.timestamps(true, true);
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = function (knex) {
  return knex.schema.dropTable('suppliers');
};
