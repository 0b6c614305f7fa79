INSERT INTO users (username, email) VALUES ('demo', 'demo@example.com');
INSERT INTO projects (name, owner_id) VALUES ('Demo project', 1);
INSERT INTO tasks (project_id, title) VALUES (1, 'Try the tracker');
