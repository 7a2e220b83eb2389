-- Down: runs lose their owner, privacy and upload size; keys are no longer kept unique.
DROP INDEX IF EXISTS runs_owner_key;
ALTER TABLE runs DROP COLUMN upload_bytes;
ALTER TABLE runs DROP COLUMN private;
ALTER TABLE runs DROP COLUMN owner;
ALTER TABLE analysis_sessions DROP COLUMN public;
