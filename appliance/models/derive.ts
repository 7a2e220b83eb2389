/**
 * @module Derived model files. `expose-embedding` turns the upstream MobileNetV2 int8 classifier into
 * the embedding model: it adds a DequantizeLinear node over the pooled features and a graph output
 * `embedding` [batch_size, 1280], the same graph change as ../shared/models/make_embed.py.
 *
 * It works by appending bytes, not by re-serialising: protobuf parsers merge a repeated occurrence of
 * an embedded message field, so one more ModelProto.graph (field 7) holding just the new node and
 * output is merged into the existing graph. That needs only an encoder for three small messages,
 * which is why no protobuf library is added for it.
 */

const LEN = 2;
const VARINT = 0;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const bytes = (field: number, payload: number[]) => [...tag(field, LEN), ...varint(payload.length), ...payload];
const str = (field: number, s: string) => bytes(field, [...new TextEncoder().encode(s)]);
const int = (field: number, n: number) => [...tag(field, VARINT), ...varint(n)];

const FLOAT = 1; // onnx TensorProto.DataType.FLOAT

/** ModelProto bytes that, appended to a model, add `node` and a float output of the given dims. */
export function appendNodeAndOutput(
  node: { inputs: string[]; output: string; op: string; name: string },
  dims: Array<number | string>,
): Uint8Array {
  const nodeProto = [
    ...node.inputs.flatMap((i) => str(1, i)),
    ...str(2, node.output),
    ...str(3, node.name),
    ...str(4, node.op),
  ];
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, FLOAT), ...bytes(2, shape)];
  const valueInfo = [...str(1, node.output), ...bytes(2, bytes(1, tensorType))];
  const graph = [...bytes(1, nodeProto), ...bytes(12, valueInfo)];
  return new Uint8Array(bytes(7, graph));
}

export function exposeEmbedding(model: Uint8Array): Uint8Array {
  const tail = appendNodeAndOutput(
    {
      inputs: ['472_quantized', '464_scale', '464_zero_point'],
      output: 'embedding',
      op: 'DequantizeLinear',
      name: 'embedding_dequant',
    },
    ['batch_size', 1280],
  );
  const out = new Uint8Array(model.byteLength + tail.byteLength);
  out.set(model, 0);
  out.set(tail, model.byteLength);
  return out;
}

export const derivations = { 'expose-embedding': exposeEmbedding } as const;
