-- Down: the shadow pipelines' results go with their tables.
DROP TABLE IF EXISTS shadow_events;
DROP TABLE IF EXISTS shadow_detections;
