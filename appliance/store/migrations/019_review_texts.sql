-- Review items name the text read on their objects (plates, by ocr@1; issue 34).
ALTER TABLE review_items ADD COLUMN texts VARCHAR[] DEFAULT [];
