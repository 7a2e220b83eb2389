-- Down: the preview thumbnails and upload hashes (previews stay as files until their images go).
-- drops column: images.preview_key, images.sha256
-- As in 010's down step: the indexes go first, then the table is rebuilt without the columns, with
-- its indexes again, in a second transaction. Each step can be run again.
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
  updated_at    TIMESTAMPTZ NOT NULL,
  owner         VARCHAR,
  private       BOOLEAN,
  exif          JSON
);
INSERT INTO images_down SELECT id, vec_key, storage_key, thumb_key, file_name, size_bytes, mime, width, height, name,
  description, tags, taken_at, camera_model, embedding, model_id, created_at, updated_at, owner, private, exif FROM images;
DROP TABLE images;
ALTER TABLE images_down RENAME TO images;
CREATE UNIQUE INDEX IF NOT EXISTS images_vec_key_idx ON images (vec_key);
CREATE INDEX IF NOT EXISTS images_created_idx ON images (created_at);
