'use strict';

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    const now = new Date();
    await queryInterface.bulkInsert('users', [
      {
        email: 'editor@example.com',
        display_name: 'Demo Editor',
        // bcrypt hash of "demo-password", for local development only
        password_hash: '$2b$10$Q9q0eB8C1yq0pF1Yc8q9UuHh4mJ6Qm1k5rE3qY0mX8yQH2m8c0a1W',
        created_at: now,
        updated_at: now,
      },
    ]);
  },

  async down(queryInterface) {
    await queryInterface.bulkDelete('users', { email: 'editor@example.com' });
  },
};
