'use strict';

// Data-only migration: give every existing post a slug so the column can become unique.
// There is no way back (the old rows had no slug), so there is no down.

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(
      "UPDATE posts SET slug = CONCAT('post-', id) WHERE slug IS NULL",
    );
    await queryInterface.addIndex('posts', ['slug'], { unique: true, name: 'posts_slug_unique' });
  },
};
