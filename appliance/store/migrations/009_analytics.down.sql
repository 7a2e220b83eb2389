-- Down: analysis sessions and the analytics tables (the counts can be rebuilt from the raw results;
-- the sessions cannot).
DROP TABLE analytics_meta;
DROP TABLE analytics_dirty;
DROP TABLE analytics_daily;
DROP TABLE analytics_records;
DROP TABLE analysis_sessions;
