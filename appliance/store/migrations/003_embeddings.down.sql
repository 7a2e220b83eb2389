-- Down: the embeddings of frames and tracked objects.
DROP TABLE embeddings;
