-- Review items name their objects' sub-labels from classifiers trained on the box (issue 33).
ALTER TABLE review_items ADD COLUMN sub_labels VARCHAR[] DEFAULT [];
