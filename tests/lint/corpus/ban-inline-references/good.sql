-- lint: dialect=mysql
CREATE TABLE comments (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  post_id bigint NOT NULL,
  CONSTRAINT comments_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts (id)
);
