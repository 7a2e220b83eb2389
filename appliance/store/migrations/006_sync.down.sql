-- Down: the S3 sync outbox and the Parquet export watermarks (objects not yet uploaded stay on disk, unsynced).
DROP TABLE sync_exports;
DROP TABLE sync_objects;
