// Create shipments

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.up = async function (knex) {
  await knex.schema.createTable('shipments', (table) => {
    table.bigIncrements('id');
    table.integer('warehouse_id').unsigned().notNullable();
    table.string('tracking', 40).notNullable();
    table.decimal('weight', 10, 2);
    table.timestamp('shipped_at').defaultTo(knex.fn.now());
    table.unique(['tracking'], { indexName: 'uq_shipments_tracking' });
    table
      .foreign('warehouse_id', 'fk_shipments_warehouse_id')
      .references('id')
      .inTable('warehouses')
      .onDelete('CASCADE');
    table.check('weight > 0', [], 'ck_shipments_weight');
  });
};

/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.down = async function (knex) {
  await knex.schema.dropTable('shipments');
};
