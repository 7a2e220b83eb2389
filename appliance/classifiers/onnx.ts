/**
 * @module A linear head as a small ONNX model that onnxruntime runs like any other: input
 * `embedding` [N, dims] → MatMul(W [dims, K]) → Add(b [K]) → Softmax(axis 1) → output `probs`
 * [N, K]. Encoded with protobufjs (already the gRPC door's) over the part of ONNX's own schema this
 * needs; the field numbers are onnx.proto's (github.com/onnx/onnx, onnx/onnx.proto). Opset 13.
 * The classes and the embedding model go into the model's metadata as well as its card. Pure.
 */
import protobuf from 'protobufjs';
import type { LinearHead } from './train';

const SCHEMA = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; }
  optional string name = 1;
  optional int64 i = 3;
  optional AttributeType type = 20;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  enum DataType { UNDEFINED = 0; FLOAT = 1; }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  optional string name = 8;
}
message TensorShapeProto {
  message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  optional Tensor tensor_type = 1;
}
`;

const Model = protobuf.parse(SCHEMA).root.lookupType('onnx.ModelProto');
const FLOAT = 1;

const tensorInfo = (name: string, dims: Array<number | string>) => ({
  name,
  type: {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** The ONNX file of a head. `meta`: what the model's metadata says (the classes are added). */
export function headOnnx(h: LinearHead, meta: Record<string, string>): Uint8Array {
  const k = h.classes.length;
  const model = {
    irVersion: 8,
    producerName: 'fovea',
    producerVersion: meta.fovea_version ?? '',
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: Object.entries({ ...meta, classes: JSON.stringify(h.classes) }).map(([key, value]) => ({
      key,
      value,
    })),
    graph: {
      name: 'linear_head',
      node: [
        { input: ['embedding', 'W'], output: ['logits'], name: 'matmul', opType: 'MatMul' },
        { input: ['logits', 'b'], output: ['scores'], name: 'bias', opType: 'Add' },
        {
          input: ['scores'],
          output: ['probs'],
          name: 'softmax',
          opType: 'Softmax',
          attribute: [{ name: 'axis', i: 1, type: 2 }],
        },
      ],
      initializer: [
        { name: 'W', dims: [h.dims, k], dataType: FLOAT, floatData: Array.from(h.weights) },
        { name: 'b', dims: [k], dataType: FLOAT, floatData: Array.from(h.bias) },
      ],
      input: [tensorInfo('embedding', ['N', h.dims])],
      output: [tensorInfo('probs', ['N', k])],
    },
  };
  const problem = Model.verify(model);
  if (problem) throw new Error(`headOnnx: ${problem}`);
  return Model.encode(Model.fromObject(model)).finish();
}

/** The metadata of a head's ONNX file (what was made with it: its classes, its embedding model). */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const m = Model.toObject(Model.decode(bytes), { defaults: false }) as {
    metadataProps?: Array<{ key: string; value: string }>;
  };
  return Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, p.value]));
}
