import { api, unwrap, type Schemas } from "../../api/client";
import { CommitInput } from "../../components/CommitInput";
import { navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { type FrameRule, type RuleKey, bySourceClass, ruleQuery } from "./frameRule";

/** The sampling rule's fields, each change a new URL; and the source-class filter: frames
 * holding an extra label that a mapping (onto this dataset's taxonomy) sends to a source class. */
export function SamplingForm(props: {
  dataset: Schemas["DatasetRead"];
  summary: Schemas["DatasetSummary"];
  taxonomy: Schemas["TaxonomyDetailRead"];
  rule: FrameRule;
  onSave: () => void;
}) {
  const { rule } = props;
  const mappings = useQuery(
    () => unwrap(api.GET("/api/mappings", { params: { query: { extra_taxonomy_id: props.dataset.taxonomy_id } } })).then((r) => r.items),
    [props.dataset.taxonomy_id],
  );
  const mapping = mappings.data?.find((m) => String(m.id) === rule.mapping);
  const source = useQuery(
    () =>
      mapping
        ? unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: mapping.source_taxonomy_id } } })).then((t) => t.classes)
        : Promise.resolve([]),
    [mapping?.source_taxonomy_id],
  );
  const go = (changes: Partial<Record<RuleKey, string>>) => navigate(`datasets/${props.dataset.id}`, { ...ruleQuery(rule), ...changes });
  const field = (k: RuleKey) => ({
    value: rule[k],
    onChange: (e: Event) => go({ [k]: (e.target as HTMLSelectElement).value }),
  });
  const text = (k: RuleKey) => ({ value: rule[k], onCommit: (v: string) => go({ [k]: v }) });
  const bySource = bySourceClass(rule);
  return (
    <div class="card">
      <div class="row sampling" data-testid="sampling">
        <label class="field">
          Every Nth per sequence
          <CommitInput class="input" type="number" min={1} style={{ width: "90px" }} aria-label="every nth" {...text("every")} />
        </label>
        <label class="field">
          Camera
          <select class="input" aria-label="camera" {...field("camera")}>
            <option value="">any</option>
            {Object.keys(props.summary.cameras).filter(Boolean).map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label class="field">
          Split
          <select class="input" aria-label="split" {...field("split")}>
            <option value="">any</option>
            {Object.keys(props.summary.splits).filter(Boolean).map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label class="field">
          Sequence
          <CommitInput class="input" style={{ width: "130px" }} aria-label="sequence" {...text("sequence")} />
        </label>
        <label class="field">
          Contains label
          <select class="input" aria-label="label" {...field("label")}>
            <option value="">any</option>
            {props.taxonomy.classes.map((c) => (
              <option key={c.id} value={String(c.id)}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          Per label k
          <CommitInput class="input" type="number" min={1} style={{ width: "80px" }} aria-label="frames per label" {...text("per_label")} />
        </label>
        <label class="field">
          Random k
          <CommitInput class="input" type="number" min={1} style={{ width: "80px" }} aria-label="random k" {...text("random")} />
        </label>
        <label class="field">
          Seed
          <CommitInput class="input" type="number" style={{ width: "70px" }} aria-label="seed" {...text("seed")} />
        </label>
        <label class="field">
          Through mapping
          <select class="input" aria-label="filter mapping" value={rule.mapping} onChange={(e) => go({ mapping: (e.target as HTMLSelectElement).value, source: "" })}>
            <option value="">none</option>
            {(mappings.data ?? []).map((m) => (
              <option key={m.id} value={String(m.id)}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          Source class
          <select class="input" aria-label="source class" disabled={!mapping} {...field("source")}>
            <option value="">any</option>
            {(source.data ?? []).map((c) => (
              <option key={c.id} value={String(c.id)}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <span class="spacer" />
        <button class="btn" onClick={() => navigate(`datasets/${props.dataset.id}`)}>
          Clear
        </button>
        <button class="btn" onClick={props.onSave} disabled={bySource} title={bySource ? "A sample set keeps a sampling rule; clear the source class first" : undefined}>
          Save as sample set
        </button>
      </div>
      {bySource && (
        <div class="muted small" data-testid="source-filter-note">
          Frames holding an extra label that “{mapping?.name ?? `mapping ${rule.mapping}`}” maps to “{source.data?.find((c) => String(c.id) === rule.source)?.name ?? rule.source}”, most pixels first; the other rule fields do not apply.
        </div>
      )}
    </div>
  );
}
