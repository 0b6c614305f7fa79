// Knex configuration, one block per environment (NODE_ENV picks it; development by default).
require('dotenv').config();

const shared = {
  client: 'sqlite3',
  useNullAsDefault: true,
  migrations: {
    directory: './db/migrations',
    tableName: 'knex_migrations',
  },
  seeds: {
    directory: './db/seeds',
  },
  pool: {
    // SQLite leaves foreign keys off unless every connection asks for them.
    afterCreate: (conn, done) => conn.run('PRAGMA foreign_keys = ON', done),
  },
};

/**
 * @type { Object.<string, import("knex").Knex.Config> }
 */
module.exports = {
  development: {
    ...shared,
    connection: {
      filename: './data/inventory.sqlite3',
    },
  },

  test: {
    ...shared,
    connection: {
      filename: ':memory:',
    },
  },

  production: {
    ...shared,
    connection: {
      filename: process.env.INVENTORY_DB_PATH || '/var/lib/inventory/inventory.sqlite3',
    },
  },
};
