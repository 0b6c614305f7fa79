const express = require("express");
const Database = require("better-sqlite3");

const db = new Database(process.env.LIBRARY_DB || "db/library.sqlite3");
const app = express();

app.get("/books", (req, res) => {
  res.json(db.prepare("SELECT id, title, isbn FROM books ORDER BY title").all());
});

app.get("/members/:id/loans", (req, res) => {
  const rows = db
    .prepare("SELECT * FROM loans WHERE member_id = ? AND returned_at IS NULL")
    .all(req.params.id);
  res.json(rows);
});

app.listen(process.env.PORT || 3000);
