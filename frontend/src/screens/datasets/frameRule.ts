// The rule that picks a dataset's frames, as the URL keeps it, and the one fetch of a
// window of its frames that the grid and the frame view's next/previous both use.
import { api, unwrap, type Schemas } from "../../api/client";

export const RULE_KEYS = ["every", "camera", "sequence", "split", "label", "per_label", "random", "seed", "mapping", "source"] as const;
export type RuleKey = (typeof RULE_KEYS)[number];
export type FrameRule = Record<RuleKey, string>;
export type FrameItem = Schemas["FrameRead"];
export interface FrameWindow {
  items: FrameItem[];
  total: number;
}

/** The rule fields of a route's query ("" where unset). */
export function ruleOf(query: URLSearchParams): FrameRule {
  return Object.fromEntries(RULE_KEYS.map((k) => [k, query.get(k) ?? ""])) as FrameRule;
}

/** Only the fields that are set: for links and `navigate`. */
export function ruleQuery(rule: FrameRule): Record<string, string> {
  return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== ""));
}

/** A mapping and a source class are both picked: the frames with an extra label mapped to it. */
export const bySourceClass = (rule: FrameRule) => rule.mapping !== "" && rule.source !== "";

const num = (v: string) => (v ? Number(v) : undefined);

/** Frames `offset…offset+limit` of the rule's list, and how many it holds in all. */
export function fetchFrames(datasetId: number, rule: FrameRule, offset: number, limit: number, signal?: AbortSignal): Promise<FrameWindow> {
  if (bySourceClass(rule)) {
    return unwrap(
      api.GET("/api/datasets/{dataset_id}/occurrence/frames", {
        params: { path: { dataset_id: datasetId }, query: { mapping_id: Number(rule.mapping), source_id: Number(rule.source), offset, limit } },
        signal,
      }),
    );
  }
  return unwrap(
    api.GET("/api/datasets/{dataset_id}/frames", {
      params: {
        path: { dataset_id: datasetId },
        query: {
          every: num(rule.every),
          camera: rule.camera || undefined,
          sequence: rule.sequence || undefined,
          split: rule.split || undefined,
          label: rule.label ? [Number(rule.label)] : undefined,
          per_label: num(rule.per_label),
          random: num(rule.random),
          seed: num(rule.seed),
          offset,
          limit,
        },
      },
      signal,
    }),
  );
}

/** The rule as a sample set stores it (a source-class filter is not part of a sampling rule). */
export function samplingOf(rule: FrameRule) {
  return {
    every: num(rule.every) ?? null,
    camera: rule.camera || null,
    sequence: rule.sequence || null,
    split: rule.split || null,
    labels: rule.label ? [Number(rule.label)] : [],
    per_label: num(rule.per_label) ?? null,
    random: num(rule.random) ?? null,
    seed: num(rule.seed) ?? 0,
  };
}
