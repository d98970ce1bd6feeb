// What the preview shows for a mapping (teacher, dataset, list of frames, frame), kept in localStorage.

export type FrameSource = { kind: "all" } | { kind: "sample"; sampleSetId: number } | { kind: "label"; labelId: number };

export interface PreviewChoice {
  modelId?: number;
  datasetId?: number;
  source: FrameSource;
  frameId?: number;
}

const storeKey = (mappingId: number) => `ontolabel.preview.${mappingId}`;
const num = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined);

function parseSource(v: unknown): FrameSource {
  if (typeof v === "object" && v !== null && "kind" in v) {
    const s = v as Record<string, unknown>;
    if (s.kind === "sample" && num(s.sampleSetId)) return { kind: "sample", sampleSetId: num(s.sampleSetId)! };
    if (s.kind === "label" && typeof s.labelId === "number") return { kind: "label", labelId: s.labelId };
  }
  return { kind: "all" };
}

/** The stored choice; anything unreadable (an older format, a hand edit) reads as no choice. */
export function loadChoice(mappingId: number): PreviewChoice {
  try {
    const raw = JSON.parse(localStorage.getItem(storeKey(mappingId)) ?? "{}") as Record<string, unknown>;
    return { modelId: num(raw.modelId), datasetId: num(raw.datasetId), source: parseSource(raw.source), frameId: num(raw.frameId) };
  } catch {
    return { source: { kind: "all" } };
  }
}

export function saveChoice(mappingId: number, choice: PreviewChoice): void {
  localStorage.setItem(storeKey(mappingId), JSON.stringify(choice));
}

export function sourceValue(s: FrameSource): string {
  return s.kind === "sample" ? `sample:${s.sampleSetId}` : s.kind === "label" ? "label" : "all";
}
