import { useState } from "preact/hooks";
import { api, errorText, unwrap, type Schemas } from "../../api/client";
import { Async, ErrorBox } from "../../components/Async";
import { CommitInput } from "../../components/CommitInput";
import { count } from "../../lib/format";
import { href, navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";

const PAGE = 48;
const RULE_KEYS = ["every", "camera", "sequence", "split", "label", "per_label", "random", "seed"] as const;
type RuleKey = (typeof RULE_KEYS)[number];

/** Thumbnails of the frames a sampling rule picks; the rule is kept in the URL. */
export function FrameGrid(props: {
  dataset: Schemas["DatasetRead"];
  summary: Schemas["DatasetSummary"];
  taxonomy: Schemas["TaxonomyDetailRead"];
  query: URLSearchParams;
}) {
  const rule = Object.fromEntries(RULE_KEYS.map((k) => [k, props.query.get(k) ?? ""])) as Record<RuleKey, string>;
  const offset = Number(props.query.get("offset") ?? 0);
  const num = (v: string) => (v ? Number(v) : undefined);
  const q = useQuery(
    () =>
      unwrap(
        api.GET("/api/datasets/{dataset_id}/frames", {
          params: {
            path: { dataset_id: props.dataset.id },
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
              limit: PAGE,
            },
          },
        }),
      ),
    [props.dataset.id, props.query.toString()],
  );
  const [note, setNote] = useState<{ ok: boolean; text: string }>();
  async function saveSample() {
    const name = prompt("Name of the sample set (keeps this rule and the frames it picks now)");
    if (!name) return;
    try {
      const sampling = {
        every: num(rule.every) ?? null, camera: rule.camera || null, sequence: rule.sequence || null,
        split: rule.split || null, labels: rule.label ? [Number(rule.label)] : [],
        per_label: num(rule.per_label) ?? null, random: num(rule.random) ?? null, seed: num(rule.seed) ?? 0,
      };
      const saved = await unwrap(
        api.POST("/api/datasets/{dataset_id}/sample-sets", { params: { path: { dataset_id: props.dataset.id } }, body: { name, rule: sampling } }),
      );
      setNote({ ok: true, text: `Saved sample set “${saved.name}” with ${saved.frame_ids.length} frames.` });
    } catch (e) {
      setNote({ ok: false, text: errorText(e) });
    }
  }
  const go = (changes: Partial<Record<RuleKey | "offset", string | number>>) =>
    navigate(`datasets/${props.dataset.id}`, { ...rule, offset: 0, ...changes });
  const field = (k: RuleKey) => ({
    value: rule[k],
    onChange: (e: Event) => go({ [k]: (e.target as HTMLInputElement).value }),
  });
  const text = (k: RuleKey) => ({ value: rule[k], onCommit: (v: string) => go({ [k]: v }) });

  return (
    <>
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
          <span class="spacer" />
          <button class="btn" onClick={() => navigate(`datasets/${props.dataset.id}`)}>
            Clear
          </button>
          <button class="btn" onClick={saveSample}>
            Save as sample set
          </button>
        </div>
      </div>
      {note && (note.ok ? <div class="ok-box">{note.text}</div> : <ErrorBox message={note.text} />)}
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No frame matches this rule.">
        {(d) => (
          <>
            <div class="row" style={{ marginBottom: "8px" }}>
              <span class="muted">
                {count(d.total)} frames · showing {offset + 1}–{offset + d.items.length}
              </span>
              <span class="spacer" />
              <button class="btn small" disabled={offset === 0} onClick={() => go({ offset: Math.max(0, offset - PAGE) })}>
                ‹ Prev
              </button>
              <button class="btn small" disabled={offset + PAGE >= d.total} onClick={() => go({ offset: offset + PAGE })}>
                Next ›
              </button>
            </div>
            <div class="thumbs" data-testid="frame-grid">
              {d.items.map((f) => (
                <a key={f.id} class="thumb" href={href(`frames/${f.id}`)} title={f.key}>
                  <img src={`/api/frames/${f.id}/thumbnail?size=256`} alt={f.key} loading="lazy" />
                  <div class="cap">
                    {f.error_kind && <span class="badge error">{f.error_kind}</span>} {[f.sequence, f.camera, f.frame].filter(Boolean).join(" · ") || f.key}
                  </div>
                </a>
              ))}
            </div>
          </>
        )}
      </Async>
    </>
  );
}
