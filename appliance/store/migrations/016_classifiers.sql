-- Classifiers trained on the box (issue 33). A classifier has a name (its model is custom/<name>), a
-- kind (object: a sub-label of a detected class; state: a region of one stream), its classes, and the
-- embedding model its examples are embedded with. `trained` is the card of the head saved last
-- (classes, evaluation, examples, the file's sha256), or null. Each example is a labelled embedding
-- of a picture or of a box of it; `key` names the picture and the box, so labelling the same one
-- again changes its class instead of adding it twice.
CREATE TABLE IF NOT EXISTS classifiers (
  name VARCHAR PRIMARY KEY,
  kind VARCHAR NOT NULL,
  classes JSON NOT NULL,
  object_label VARCHAR,
  stream VARCHAR,
  region JSON,
  model_id VARCHAR NOT NULL,
  owner VARCHAR,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  trained JSON
);
CREATE TABLE IF NOT EXISTS classifier_examples (
  id VARCHAR PRIMARY KEY,
  classifier VARCHAR NOT NULL,
  class VARCHAR NOT NULL,
  key VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  box JSON,
  embedding FLOAT[] NOT NULL,
  owner VARCHAR,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (classifier, key)
);
CREATE INDEX IF NOT EXISTS classifier_examples_classifier ON classifier_examples (classifier);
-- The "to label" inbox: crops a classifier was unsure of (or the detector was), kept as the picture
-- they were cut from (an image) and the box in it, with the classifier's guess and why.
CREATE TABLE IF NOT EXISTS classifier_inbox (
  id VARCHAR PRIMARY KEY,
  classifier VARCHAR NOT NULL,
  image_id VARCHAR NOT NULL,
  box JSON NOT NULL,
  stream VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  guess VARCHAR,
  score DOUBLE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS classifier_inbox_classifier ON classifier_inbox (classifier);
