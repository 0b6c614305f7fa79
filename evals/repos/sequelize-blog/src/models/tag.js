'use strict';

const { Model } = require('sequelize');

module.exports = (sequelize, DataTypes) => {
  class Tag extends Model {
    static associate(models) {
      Tag.belongsToMany(models.Post, {
        through: 'post_tags',
        foreignKey: 'tag_id',
        otherKey: 'post_id',
        timestamps: false,
      });
    }
  }
  Tag.init(
    {
      name: { type: DataTypes.STRING(50), allowNull: false, unique: true },
    },
    { sequelize, modelName: 'Tag', tableName: 'tags', timestamps: false },
  );
  return Tag;
};
