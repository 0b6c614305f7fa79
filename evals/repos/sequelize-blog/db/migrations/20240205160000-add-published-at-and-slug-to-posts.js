'use strict';

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    const transaction = await queryInterface.sequelize.transaction();
    try {
      await queryInterface.addColumn(
        'posts',
        'published_at',
        { type: Sequelize.DATE, allowNull: true },
        { transaction },
      );
      await queryInterface.addColumn(
        'posts',
        'slug',
        { type: Sequelize.STRING(220), allowNull: true },
        { transaction },
      );
      await queryInterface.addIndex('posts', ['published_at'], { transaction });
      await transaction.commit();
    } catch (err) {
      await transaction.rollback();
      throw err;
    }
  },

  async down(queryInterface) {
    await queryInterface.removeIndex('posts', ['published_at']);
    await queryInterface.removeColumn('posts', 'slug');
    await queryInterface.removeColumn('posts', 'published_at');
  },
};
