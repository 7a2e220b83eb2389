-- Down: pipeline runs, their items and logs (their stored results stay, under streams run:<id>).
DROP TABLE run_log;
DROP TABLE run_items;
DROP TABLE runs;
