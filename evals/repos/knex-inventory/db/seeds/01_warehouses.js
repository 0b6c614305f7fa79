/**
 * @param { import("knex").Knex } knex
 * @returns { Promise<void> }
 */
exports.seed = async function (knex) {
  await knex('warehouses').del();
  await knex('warehouses').insert([
    { code: 'LYS-01', name: 'Lyon main', city: 'Lyon' },
    { code: 'MRS-01', name: 'Marseille port', city: 'Marseille' },
  ]);
};
