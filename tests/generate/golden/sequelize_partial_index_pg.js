'use strict';

// Add index on posts author_id

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.transaction(async (transaction) => {
      // queryInterface.addIndex takes a where object, not a SQL predicate
      await queryInterface.sequelize.query(
        'CREATE INDEX ix_posts_author_id ON posts (author_id) WHERE published_at is not null',
        { transaction },
      );
    });
  },

  async down(queryInterface) {
    await queryInterface.sequelize.transaction(async (transaction) => {
      await queryInterface.removeIndex('posts', 'ix_posts_author_id', { transaction });
    });
  },
};
