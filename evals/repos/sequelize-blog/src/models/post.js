'use strict';

const { Model } = require('sequelize');

module.exports = (sequelize, DataTypes) => {
  class Post extends Model {
    static associate(models) {
      Post.belongsTo(models.User, { foreignKey: 'author_id', as: 'author' });
      Post.hasMany(models.Comment, { foreignKey: 'post_id', as: 'comments' });
      Post.belongsToMany(models.Tag, {
        through: 'post_tags',
        foreignKey: 'post_id',
        otherKey: 'tag_id',
        timestamps: false,
      });
    }
  }
  Post.init(
    {
      title: { type: DataTypes.STRING(200), allowNull: false },
      slug: { type: DataTypes.STRING(220), allowNull: true, unique: 'posts_slug_unique' },
      body: { type: DataTypes.TEXT, allowNull: false },
      publishedAt: { type: DataTypes.DATE, allowNull: true, field: 'published_at' },
    },
    { sequelize, modelName: 'Post', tableName: 'posts', underscored: true },
  );
  return Post;
};
