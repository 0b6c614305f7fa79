const express = require('express');
const slugify = require('slugify');
const { Post, Tag, User } = require('./models');

const app = express();
app.use(express.json());

app.get('/posts', async (req, res) => {
  const posts = await Post.findAll({
    where: { publishedAt: { [require('sequelize').Op.ne]: null } },
    include: [{ model: User, as: 'author', attributes: ['displayName'] }, Tag],
    order: [['publishedAt', 'DESC']],
    limit: 20,
  });
  res.json(posts);
});

app.post('/posts', async (req, res) => {
  const post = await Post.create({
    title: req.body.title,
    body: req.body.body,
    slug: slugify(req.body.title, { lower: true, strict: true }),
    author_id: req.body.authorId,
  });
  res.status(201).json(post);
});

app.listen(process.env.PORT || 3000);
