'use strict';

const { Model } = require('sequelize');

module.exports = (sequelize, DataTypes) => {
  class User extends Model {
    static associate(models) {
      User.hasMany(models.Post, { foreignKey: 'author_id', as: 'posts' });
      User.hasMany(models.Comment, { foreignKey: 'author_id', as: 'comments' });
    }
  }
  User.init(
    {
      email: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      displayName: { type: DataTypes.STRING(80), allowNull: false, field: 'display_name' },
      passwordHash: { type: DataTypes.STRING(60), allowNull: false, field: 'password_hash' },
      role: {
        type: DataTypes.ENUM('reader', 'author', 'editor', 'admin'),
        allowNull: false,
        defaultValue: 'reader',
      },
    },
    { sequelize, modelName: 'User', tableName: 'users', underscored: true },
  );
  return User;
};
