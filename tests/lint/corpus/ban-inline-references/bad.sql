-- lint: dialect=mysql
CREATE TABLE comments (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  post_id bigint NOT NULL REFERENCES posts (id)
);
