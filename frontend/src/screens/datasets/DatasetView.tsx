import { useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../api/client";
import { Async, ErrorBox } from "../../components/Async";
import { Page } from "../../components/Page";
import { count, when } from "../../lib/format";
import { href, navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { JobLinks } from "../jobs/JobLinks";
import { ClassFrequency } from "./ClassFrequency";
import { FrameGrid } from "./FrameGrid";
import { ruleOf } from "./frameRule";
import { OccurrenceTable } from "./OccurrenceTable";

/** A dataset: summary, class frequency, frames (sampled) and label occurrence; the tab and
 * filters live in the URL. */
export function DatasetView(props: { id: number; query: URLSearchParams }) {
  const q = useQuery(async () => {
    const path = { params: { path: { dataset_id: props.id } } };
    const [dataset, summary] = await Promise.all([
      unwrap(api.GET("/api/datasets/{dataset_id}", path)),
      unwrap(api.GET("/api/datasets/{dataset_id}/summary", path)),
    ]);
    const taxonomy = await unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: dataset.taxonomy_id } } }));
    return { dataset, summary, taxonomy };
  }, [props.id]);
  const [error, setError] = useState<string>();
  const tab = props.query.get("tab") === "occurrence" ? "occurrence" : "frames";
  return (
    <Async q={q}>
      {({ dataset: ds, summary: s, taxonomy }) => (
        <Page
          title={
            <>
              <a href={href("datasets")}>Datasets</a> / {ds.name}
            </>
          }
          subtitle={
            <>
              <a href={href(`taxonomies/${taxonomy.id}`)}>{taxonomy.name}</a> · <span class="mono">{ds.root}</span> · indexed {when(ds.indexed_at)}
            </>
          }
          actions={
            <>
              <JobLinks dataset_id={ds.id} />
              <button
                class="btn"
                onClick={() =>
                  unwrap(api.POST("/api/datasets/{dataset_id}/index", { params: { path: { dataset_id: ds.id } } })).then(
                    (r) => navigate(`jobs/${r.job_id}`),
                    (e) => setError(errorText(e)),
                  )
                }
              >
                Re-index
              </button>
            </>
          }
        >
          {error && <ErrorBox message={error} />}
          <div class="card">
            <dl class="kv summary" data-testid="dataset-summary">
              <dt>Frames</dt>
              <dd>
                {count(s.frames)} ({count(s.indexed)} indexed)
              </dd>
              <dt>Sequences</dt>
              <dd>{count(s.sequences)}</dd>
              <dt>Splits</dt>
              <dd>{Object.entries(s.splits).map(([k, v]) => `${k || "—"}: ${count(v)}`).join(" · ") || "—"}</dd>
              <dt>Cameras</dt>
              <dd>{Object.entries(s.cameras).map(([k, v]) => `${k || "—"}: ${count(v)}`).join(" · ") || "—"}</dd>
              <dt>Labels present</dt>
              <dd>
                {s.labels_present} of {taxonomy.class_count}
                {s.frames_with_unknown_labels > 0 && <span class="badge warning" style={{ marginLeft: "6px" }}>{s.frames_with_unknown_labels} frames with unknown label ids</span>}
              </dd>
              <dt>Errors</dt>
              <dd>{Object.entries(s.errors).map(([k, v]) => `${k}: ${v}`).join(" · ") || "none"}</dd>
            </dl>
          </div>
          <ClassFrequency datasetId={ds.id} taxonomy={taxonomy} />
          <div class="tabs">
            <button class={`tab${tab === "frames" ? " active" : ""}`} onClick={() => navigate(`datasets/${ds.id}`)}>
              Frames
            </button>
            <button class={`tab${tab === "occurrence" ? " active" : ""}`} onClick={() => navigate(`datasets/${ds.id}`, { tab: "occurrence" })}>
              Label occurrence
            </button>
          </div>
          {tab === "frames" ? (
            <FrameGrid dataset={ds} summary={s} taxonomy={taxonomy} rule={ruleOf(props.query)} />
          ) : (
            <OccurrenceTable datasetId={ds.id} taxonomy={taxonomy} />
          )}
        </Page>
      )}
    </Async>
  );
}
