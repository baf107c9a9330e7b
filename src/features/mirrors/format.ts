/**
 * A mirror snapshot's bytes, the same on both stores:
 *
 *   prefix: "SPBKSNP1" | header length (u32 LE) | header (JSON, UTF-8) | zero padding to 8 bytes
 *   body:   part 0 | padding to 8 | part 1 | padding to 8 | ...
 *
 * The header says what the snapshot equals (the data version and each
 * table's fingerprint) and where each named part lies in the body, with its
 * length and CRC-32: a truncated or damaged snapshot is told apart before
 * any store is built from it. Parts start at multiples of 8 in the body, so
 * a store may view a part as a Float64Array or a BigInt64Array without a
 * copy.
 */
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import type { TableFingerprint } from '../../store/fingerprint.js';

export const SNAPSHOT_FORMAT = 1;
const MAGIC = Buffer.from('SPBKSNP1', 'latin1');
/** The most header a snapshot may claim: its JSON is a few hundred bytes. */
const MAX_HEADER_BYTES = 1 << 20;
/** Bytes checksummed between two turns of the event loop. */
const CRC_SLICE = 8 << 20;

/** Why a stored snapshot was not used (logged as the reason). */
export class SnapshotUnusable extends Error {}

const fingerprintSchema = z.object({ minKey: z.number().int(), maxKey: z.number().int() });

const headerSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.number().int().min(0),
  fingerprints: z.record(z.string(), fingerprintSchema),
  /** PostgreSQL: each table's change cursor at the cut (decimal digits), so that a later start can restore and catch up. */
  cursors: z.record(z.string(), z.string().regex(/^\d{1,20}$/)).optional(),
  bodyBytes: z.number().int().min(0),
  parts: z.array(z.object({ group: z.string(), offset: z.number().int().min(0), bytes: z.number().int().min(0), crc32: z.number().int().min(0) })),
});

export type SnapshotHeader = z.infer<typeof headerSchema>;

export interface SnapshotLabel {
  version: number;
  fingerprints: Record<string, TableFingerprint>;
  /** PostgreSQL: each table's change cursor at the cut (absent on SQLite). */
  cursors?: Record<string, string>;
}

const pad = (n: number): number => (8 - (n % 8)) % 8;
const ZEROS = new Uint8Array(8);

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** CRC-32 of `bytes`, a slice at a time, letting the event loop turn between slices. */
async function checksum(bytes: Uint8Array): Promise<number> {
  let crc = 0;
  for (let at = 0; at < bytes.length; at += CRC_SLICE) {
    if (at > 0) await turn();
    crc = crc32(bytes.subarray(at, at + CRC_SLICE), crc);
  }
  return crc;
}

export interface EncodedSnapshot {
  header: SnapshotHeader;
  /** The prefix (magic, header): its length is a multiple of 8. */
  prefix: Uint8Array;
  /** The body, as the parts and their padding, in order (not copied). */
  body: Uint8Array[];
}

/** The snapshot of `groups` (each a list of parts) labelled `label`. */
export async function encodeSnapshot(label: SnapshotLabel, groups: Record<string, readonly Uint8Array[]>): Promise<EncodedSnapshot> {
  const parts: SnapshotHeader['parts'] = [];
  const body: Uint8Array[] = [];
  let offset = 0;
  for (const [group, list] of Object.entries(groups)) {
    for (const part of list) {
      parts.push({ group, offset, bytes: part.length, crc32: await checksum(part) });
      body.push(part);
      offset += part.length;
      const padding = pad(part.length);
      if (padding > 0) body.push(ZEROS.subarray(0, padding));
      offset += padding;
    }
  }
  const header: SnapshotHeader = { format: SNAPSHOT_FORMAT, version: label.version, fingerprints: label.fingerprints, ...(label.cursors ? { cursors: label.cursors } : {}), bodyBytes: offset, parts };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4 + json.length + pad(MAGIC.length + 4 + json.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(json.length, MAGIC.length);
  json.copy(prefix, MAGIC.length + 4);
  return { header, prefix, body };
}

/** How many bytes the prefix has, from its first 12 (magic and header length). */
export function prefixLength(first12: Uint8Array): number {
  const bytes = Buffer.from(first12.buffer, first12.byteOffset, first12.length);
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new SnapshotUnusable('not a snapshot file (its first bytes are not the format mark)');
  const length = bytes.readUInt32LE(MAGIC.length);
  if (length > MAX_HEADER_BYTES) throw new SnapshotUnusable('the snapshot header is implausibly long');
  return MAGIC.length + 4 + length + pad(MAGIC.length + 4 + length);
}

/** The header in a prefix; throws SnapshotUnusable if it cannot be read or is not of this format. */
export function decodeHeader(prefix: Uint8Array): SnapshotHeader {
  const length = prefixLength(prefix);
  if (prefix.length < length) throw new SnapshotUnusable('the snapshot header is truncated');
  const jsonLength = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.length).readUInt32LE(MAGIC.length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(prefix.buffer, prefix.byteOffset + MAGIC.length + 4, jsonLength).toString('utf8'));
  } catch {
    throw new SnapshotUnusable('the snapshot header is not valid JSON');
  }
  if ((parsed as { format?: unknown } | null)?.format !== SNAPSHOT_FORMAT) throw new SnapshotUnusable(`the snapshot is of another format (${String((parsed as { format?: unknown } | null)?.format)}, this version reads ${SNAPSHOT_FORMAT})`);
  const header = headerSchema.safeParse(parsed);
  if (!header.success) throw new SnapshotUnusable('the snapshot header is malformed');
  for (const part of header.data.parts) {
    if (part.offset % 8 !== 0 || part.offset + part.bytes > header.data.bodyBytes) throw new SnapshotUnusable('the snapshot header places a part outside the body');
  }
  return header.data;
}

/**
 * The named groups of parts in `body` (views, not copies), each checked
 * against its length and CRC-32; throws SnapshotUnusable if any differs.
 */
export async function decodeBody(header: SnapshotHeader, body: Uint8Array): Promise<Map<string, Uint8Array[]>> {
  if (body.length !== header.bodyBytes) throw new SnapshotUnusable(`the snapshot body is ${body.length} bytes, its header says ${header.bodyBytes}`);
  // Views at multiples of 8 need the body itself to start at one (a large Buffer does, at 0).
  const aligned = body.byteOffset % 8 === 0 ? body : body.slice();
  const groups = new Map<string, Uint8Array[]>();
  for (const { group, offset, bytes, crc32: expected } of header.parts) {
    const part = aligned.subarray(offset, offset + bytes);
    if ((await checksum(part)) !== expected) throw new SnapshotUnusable(`a part of ${group} fails its checksum`);
    const list = groups.get(group);
    if (list === undefined) groups.set(group, [part]);
    else list.push(part);
  }
  return groups;
}
