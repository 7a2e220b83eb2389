-- Down: the MQTT outbox (messages still waiting for the broker are lost).
DROP TABLE outbox;
DROP SEQUENCE outbox_seq;
