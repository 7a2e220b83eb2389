-- Text read in library photos by ocr@1 in a run (issue 34), so the library is searched by it.
CREATE TABLE image_text (
  image_id    UUID PRIMARY KEY,
  text        VARCHAR NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);
