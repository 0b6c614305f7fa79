'use strict';

const { Model } = require('sequelize');

module.exports = (sequelize, DataTypes) => {
  class Comment extends Model {
    static associate(models) {
      Comment.belongsTo(models.Post, { foreignKey: 'post_id', as: 'post' });
      Comment.belongsTo(models.User, { foreignKey: 'author_id', as: 'author' });
    }
  }
  Comment.init(
    {
      body: { type: DataTypes.TEXT, allowNull: false },
    },
    { sequelize, modelName: 'Comment', tableName: 'comments', underscored: true },
  );
  return Comment;
};
