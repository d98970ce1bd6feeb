// Decoding the preview's per-pixel ids (base64, little-endian) and reading them under the pointer.
import type { Schemas } from "../../../api/client";

export type PreviewPixels = Schemas["PreviewPixels"];
type IdMap = Schemas["IdMap"];
export type LabelRule = Schemas["LabelRuleRead"];

/** Ground truth is void here: the pseudo-label's 255. */
export const VOID_ID = 255;

export interface DecodedIds {
  width: number;
  height: number;
  ids: Uint8Array | Uint16Array;
}

export function decodeIds(map: IdMap): DecodedIds {
  const bin = atob(map.data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const n = map.width * map.height;
  if (map.dtype === "uint8") return { width: map.width, height: map.height, ids: bytes.subarray(0, n) };
  const ids = new Uint16Array(n);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n && 2 * i + 1 < bytes.length; i++) ids[i] = view.getUint16(2 * i, true);
  return { width: map.width, height: map.height, ids };
}

/** The id at a point given as fractions (0-1) of the picture's width and height. */
export function idAt(map: DecodedIds, fx: number, fy: number): number {
  const x = Math.min(map.width - 1, Math.max(0, Math.floor(fx * map.width)));
  const y = Math.min(map.height - 1, Math.max(0, Math.floor(fy * map.height)));
  return map.ids[y * map.width + x];
}

/** What the preview says about one pixel. */
export interface PixelInfo {
  extraId: number;
  extraLabel: string;
  /** The taxonomy's (first) name for the id: what mapping rows name; none for unknown ids. */
  extraName?: string;
  allowed: { id: number; name: string }[];
  void: boolean;
  chosenId: number;
  /** The pseudo-label's class name, or undefined when the pixel is void / ignored. */
  chosen?: string;
}

export interface PixelReader {
  at(fx: number, fy: number): PixelInfo;
}

export function pixelReader(pixels: PreviewPixels): PixelReader {
  const pseudo = decodeIds(pixels.pseudo_label);
  const extra = decodeIds(pixels.extra_label);
  const sourceName = new Map(pixels.source_classes.map((c) => [c.id, c.name]));
  const rules = new Map(pixels.labels.map((r) => [r.extra_id, r]));
  const name = (id: number) => sourceName.get(id) ?? `class ${id}`;
  return {
    at(fx, fy) {
      const extraId = idAt(extra, fx, fy);
      const chosenId = idAt(pseudo, fx, fy);
      const rule = rules.get(extraId);
      return {
        extraId,
        extraLabel: rule?.names.join(" / ") || `unknown label ${extraId}`,
        extraName: rule?.names[0],
        allowed: (rule?.allowed_source_ids ?? []).map((id) => ({ id, name: name(id) })),
        void: rule?.void ?? false,
        chosenId,
        chosen: chosenId === VOID_ID ? undefined : name(chosenId),
      };
    },
  };
}
