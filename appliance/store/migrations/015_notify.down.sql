-- Down: the subscriptions go; browsers subscribe again with a newer binary.
DROP TABLE IF EXISTS push_subscriptions;
