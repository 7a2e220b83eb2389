-- Down: owners and privacy (every image is the whole box's again), and the queue of deletes for the
-- bucket (those not done yet are not done).
-- drops column: images.owner, images.private, images.exif
-- DuckDB cannot drop a column of a table that has an index, nor drop and make an index of one name
-- in one transaction: the indexes go first, then the table is rebuilt without the columns, with
-- its indexes again, in a second transaction. Each step can be run again.
DROP TABLE IF EXISTS sync_deletes;
DROP INDEX IF EXISTS images_vec_key_idx;
DROP INDEX IF EXISTS images_created_idx;
-- commit
DROP TABLE IF EXISTS images_down;
CREATE TABLE images_down (
  id            UUID PRIMARY KEY,
  vec_key       BIGINT NOT NULL DEFAULT nextval('images_vec_key'),
  storage_key   VARCHAR NOT NULL,
  thumb_key     VARCHAR NOT NULL,
  file_name     VARCHAR,
  size_bytes    BIGINT NOT NULL,
  mime          VARCHAR NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  name          VARCHAR,
  description   VARCHAR,
  tags          VARCHAR[] NOT NULL DEFAULT [],
  taken_at      TIMESTAMPTZ,
  camera_model  VARCHAR,
  embedding     FLOAT[] NOT NULL,
  model_id      VARCHAR NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  updated_at    TIMESTAMPTZ NOT NULL
);
INSERT INTO images_down SELECT id, vec_key, storage_key, thumb_key, file_name, size_bytes, mime, width, height, name,
  description, tags, taken_at, camera_model, embedding, model_id, created_at, updated_at FROM images;
DROP TABLE images;
ALTER TABLE images_down RENAME TO images;
CREATE UNIQUE INDEX IF NOT EXISTS images_vec_key_idx ON images (vec_key);
CREATE INDEX IF NOT EXISTS images_created_idx ON images (created_at);
