'use strict';

// Drop display_name from users
// runs without a transaction: a step cannot run inside one

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    // Sequelize's SQLite removeColumn rebuilds the table without its keys and indexes
    await queryInterface.sequelize.query('ALTER TABLE users DROP COLUMN display_name');
  },

  async down(queryInterface) {
    // not restored by this down: the values of users.display_name
    // SQLite cannot add this column in place; the table is rebuilt
    await queryInterface.sequelize.query('PRAGMA foreign_keys=OFF');
    await queryInterface.sequelize.query(
      'CREATE TABLE _migwright_new_users ( id INTEGER NOT NULL, email VARCHAR(255) NOT NULL, display_name VARCHAR(80) NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_users_email UNIQUE (email) )',
    );
    await queryInterface.sequelize.query(
      'INSERT INTO _migwright_new_users (id, email) SELECT id, email FROM users',
    );
    await queryInterface.sequelize.query('DROP TABLE users');
    await queryInterface.sequelize.query('ALTER TABLE _migwright_new_users RENAME TO users');
    await queryInterface.sequelize.query(
      'CREATE TEMP TABLE _migwright_fk_check_users (broken INTEGER CONSTRAINT "the rebuild of users leaves rows whose foreign keys point nowhere: see PRAGMA foreign_key_check" CHECK (broken = 0))',
    );
    await queryInterface.sequelize.query(
      'INSERT INTO _migwright_fk_check_users SELECT count(*) FROM pragma_foreign_key_check',
    );
    await queryInterface.sequelize.query('DROP TABLE temp._migwright_fk_check_users');
    await queryInterface.sequelize.query('PRAGMA foreign_keys=ON');
  },
};
