-- Down: classifiers and their examples go (their ONNX files stay in the state directory).
DROP TABLE IF EXISTS classifier_inbox;
DROP TABLE IF EXISTS classifier_examples;
DROP TABLE IF EXISTS classifiers;
