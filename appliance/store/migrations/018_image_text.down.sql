-- Down: the text read in photos goes (a run with ocr@1 reads it again).
DROP TABLE IF EXISTS image_text;
