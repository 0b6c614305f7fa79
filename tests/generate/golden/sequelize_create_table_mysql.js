'use strict';

// Create bookmarks

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('bookmarks', {
      id: {
        allowNull: false,
        autoIncrement: true,
        primaryKey: true,
        type: Sequelize.BIGINT,
      },
      user_id: {
        type: Sequelize.INTEGER,
        allowNull: false,
      },
      note: {
        type: Sequelize.STRING(200),
        allowNull: true,
      },
      created_at: {
        type: Sequelize.DATE(6),
        allowNull: false,
        defaultValue: Sequelize.literal('CURRENT_TIMESTAMP(6)'),
      },
    });
    await queryInterface.addConstraint('bookmarks', {
      fields: ['note'],
      type: 'unique',
      name: 'uq_bookmarks_note',
    });
    await queryInterface.addConstraint('bookmarks', {
      fields: ['user_id'],
      type: 'foreign key',
      name: 'fk_bookmarks_user_id',
      references: { table: 'users', field: 'id' },
      onDelete: 'cascade',
    });
    await queryInterface.addConstraint('bookmarks', {
      fields: [],
      type: 'check',
      name: 'ck_bookmarks_note',
      where: Sequelize.literal('CHAR_LENGTH(note) > 0'),
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('bookmarks');
  },
};
