-- Images registered for similarity search. The embedding is a LIST rather than FLOAT[d] so that the
-- embedding model (and so d) can change without a migration; queries cast it to FLOAT[d] of the
-- model they search with (model_id), which is what array_cosine_similarity needs.
CREATE SEQUENCE images_vec_key START 1;
CREATE TABLE images (
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
CREATE UNIQUE INDEX images_vec_key_idx ON images (vec_key);
CREATE INDEX images_created_idx ON images (created_at);
