/**
 * Just enough of the protobuf wire format for BuildKit's status trace and session messages:
 * reading length-delimited and varint fields, writing string and bytes fields. A dependency on a
 * protobuf runtime plus .proto files would be larger than this, and the messages are tiny and
 * stable (moby/buildkit api/services/control, session/secrets, session/auth).
 */
import { InternalError } from "../errors/index.js";

export type WireValue =
  | { readonly field: number; readonly kind: "varint"; readonly value: number }
  | { readonly field: number; readonly kind: "bytes"; readonly value: Buffer };

/** The fields of one message in wire order; fixed32/fixed64 values are skipped. */
export function readFields(buffer: Buffer): WireValue[] {
  const fields: WireValue[] = [];
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = buffer[offset];
      if (byte === undefined) throw new InternalError("protobuf: varint runs past the message");
      offset += 1;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
  };
  while (offset < buffer.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) fields.push({ field, kind: "varint", value: varint() });
    else if (wireType === 2) {
      const length = varint();
      if (offset + length > buffer.length)
        throw new InternalError("protobuf: field runs past the message");
      fields.push({ field, kind: "bytes", value: buffer.subarray(offset, offset + length) });
      offset += length;
    } else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else throw new InternalError(`protobuf: unsupported wire type ${wireType}`);
  }
  return fields;
}

export function bytesField(fields: readonly WireValue[], field: number): Buffer | undefined {
  const found = fields.find((f) => f.field === field && f.kind === "bytes");
  return found?.kind === "bytes" ? found.value : undefined;
}

export function stringField(fields: readonly WireValue[], field: number): string {
  return bytesField(fields, field)?.toString("utf8") ?? "";
}

export function varintField(fields: readonly WireValue[], field: number): number {
  const found = fields.find((f) => f.field === field && f.kind === "varint");
  return found?.kind === "varint" ? found.value : 0;
}

export function messagesOf(fields: readonly WireValue[], field: number): WireValue[][] {
  return fields.flatMap((f) =>
    f.field === field && f.kind === "bytes" ? [readFields(f.value)] : [],
  );
}

/** A message of fields in the order given: numbers as varints, strings and bytes as is. */
export function writeFields(
  fields: readonly { readonly field: number; readonly value: string | Buffer | number }[],
): Buffer {
  const parts: Buffer[] = [];
  for (const { field, value } of fields) {
    if (typeof value === "number") {
      parts.push(varintBytes(field * 8), varintBytes(value));
      continue;
    }
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    parts.push(varintBytes(field * 8 + 2), varintBytes(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

function varintBytes(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}
