-- Down: the stored video results.
DROP TABLE events;
DROP TABLE detections;
DROP TABLE analysis_results;
