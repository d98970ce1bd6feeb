import { useEffect, useState } from "preact/hooks";
import { api, type Schemas, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Card, Page } from "../../components/Page";
import { Swatch } from "../../components/Swatch";
import { href, navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { StaleBadge } from "./StaleBadge";
import { OpacitySlider } from "../../components/OpacitySlider";

const PAGE = 50;

type Entry = Schemas["OutputFrameRead"];
type View = "side" | "layers";

/** `#/jobs/<id>/frames?i=N`: a succeeded pseudo-label job's output frame by frame, its
 * pseudo-label (source colours) beside the image and the frame's ground truth. ←/→ step. */
export function JobOutputs(props: { id: number; query: URLSearchParams }) {
  const index = Math.max(0, Math.floor(Number(props.query.get("i")) || 0));
  const start = Math.floor(index / PAGE) * PAGE;
  const q = useQuery(
    () => unwrap(api.GET("/api/jobs/{job_id}/outputs", { params: { path: { job_id: props.id }, query: { offset: start, limit: PAGE } } })),
    [props.id, start],
  );
  const total = q.data?.total ?? 0;
  const go = (i: number) => navigate(`jobs/${props.id}/frames`, { i: Math.min(Math.max(0, i), Math.max(0, total - 1)) });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
      if (e.key === "ArrowRight" || e.key === "j") go(index + 1);
      if (e.key === "ArrowLeft" || e.key === "k") go(index - 1);
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  });

  return (
    <Page
      title={
        <>
          <a href={href("jobs")}>Jobs</a> / <a href={href(`jobs/${props.id}`)}>#{props.id} pseudo_label</a> / output
        </>
      }
      subtitle="The job's pseudo-labels frame by frame, against the image and the ground truth. Keys: ← → (or k j)."
      actions={
        <span class="row" style={{ flexWrap: "nowrap" }}>
          <button class="btn" aria-label="previous frame" data-testid="output-prev" disabled={index <= 0} onClick={() => go(index - 1)}>
            ← Prev
          </button>
          <span class="mono small" data-testid="output-position">
            {total ? `${index + 1} / ${total}` : "—"}
          </span>
          <button class="btn" aria-label="next frame" data-testid="output-next" disabled={index >= total - 1} onClick={() => go(index + 1)}>
            Next →
          </button>
        </span>
      }
    >
      <Async q={q} isEmpty={(d) => d.total === 0} empty="The manifest lists no frame.">
        {(d) => (
          <>
            {d.dataset_id != null && d.mapping_id != null && (
              <div class="row" style={{ marginBottom: "10px" }}>
                <StaleBadge jobId={d.job_id} datasetId={d.dataset_id} folder={d.folder} mappingId={d.mapping_id} />
                <span class="muted small mono">{d.folder}</span>
              </div>
            )}
            <div class="outputs-browse">
              <FrameList items={d.items} start={start} index={index} jobId={props.id} />
              <div>
                {d.items[index - start] ? (
                  <OutputFrame jobId={props.id} entry={d.items[index - start]} />
                ) : (
                  <div class="empty">No frame {index + 1}: the output has {d.total}.</div>
                )}
                {d.source_taxonomy_id != null && <Legend taxonomyId={d.source_taxonomy_id} />}
              </div>
            </div>
          </>
        )}
      </Async>
    </Page>
  );
}

function FrameList(props: { items: Entry[]; start: number; index: number; jobId: number }) {
  return (
    <ol class="outputs-list" start={props.start + 1} data-testid="output-frames">
      {props.items.map((e, n) => (
        <li key={e.key} class={props.start + n === props.index ? "active" : ""}>
          <a href={href(`jobs/${props.jobId}/frames`, { i: props.start + n })} class="mono small">
            {e.key}
          </a>
          {e.error && <span class="badge failed">error</span>}
          {e.carried_from && <span class="badge" title={`kept from ${e.carried_from}`}>kept</span>}
        </li>
      ))}
    </ol>
  );
}

function OutputFrame(props: { jobId: number; entry: Entry }) {
  const [view, setView] = useState<View>("side");
  const [layer, setLayer] = useState<"pseudo" | "truth">("pseudo");
  const [opacity, setOpacity] = useState(0.6);
  const e = props.entry;
  if (e.frame_id == null) return <div class="empty">Frame {e.key} is not a dataset frame: its pictures are not served.</div>;
  const image = `/api/frames/${e.frame_id}/image`;
  const truth = `/api/frames/${e.frame_id}/label`;
  const pseudo = e.png ? `/api/jobs/${props.jobId}/outputs/${e.frame_id}.png` : undefined;
  return (
    <Card
      title={
        <>
          Frame <a href={href(`frames/${e.frame_id}`)}>{e.frame_id}</a> <span class="muted small mono">{e.png}</span>
        </>
      }
      actions={
        <span class="row" style={{ flexWrap: "nowrap" }}>
          <select class="input" aria-label="output view" value={view} onChange={(ev) => setView((ev.target as HTMLSelectElement).value as View)}>
            <option value="side">side by side</option>
            <option value="layers">layers</option>
          </select>
          {view === "layers" && (
            <>
              <select class="input" aria-label="layer" value={layer} onChange={(ev) => setLayer((ev.target as HTMLSelectElement).value as "pseudo" | "truth")}>
                <option value="pseudo">pseudo-label</option>
                <option value="truth">ground truth</option>
              </select>
              <OpacitySlider value={opacity} onChange={setOpacity} label="layer opacity" testId="output-opacity" />
            </>
          )}
        </span>
      }
    >
      {e.error && <div class="field-error" data-testid="output-error">This frame failed: {e.error}</div>}
      <div class="small muted" data-testid="output-provenance">
        provenance <span class="mono">{e.provenance ?? "—"}</span>
        {e.carried_from && (
          <>
            {" "}
            (kept from <span class="mono">{e.carried_from}</span>)
          </>
        )}
      </div>
      {view === "side" ? (
        <div class="outputs-side" data-testid="output-side">
          <figure>
            <img src={image} alt={`image of frame ${e.frame_id}`} />
            <figcaption>image</figcaption>
          </figure>
          <figure>
            {pseudo ? <img src={pseudo} alt={`pseudo-label of frame ${e.frame_id}`} data-testid="output-pseudo" /> : <div class="empty">no label</div>}
            <figcaption>pseudo-label</figcaption>
          </figure>
          <figure>
            <img src={truth} alt={`ground truth of frame ${e.frame_id}`} />
            <figcaption>ground truth</figcaption>
          </figure>
        </div>
      ) : (
        <div class="outputs-layers" data-testid="output-layers">
          <img src={image} alt={`image of frame ${e.frame_id}`} />
          {(layer === "truth" || pseudo) && (
            <img class="layer" src={layer === "truth" ? truth : pseudo} alt={`${layer === "truth" ? "ground truth" : "pseudo-label"} over the image`} style={{ opacity }} />
          )}
        </div>
      )}
    </Card>
  );
}

function Legend(props: { taxonomyId: number }) {
  const q = useQuery(() => unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: props.taxonomyId } } })), [props.taxonomyId]);
  return (
    <Card title={q.data ? `Pseudo-label colours: ${q.data.name}` : "Pseudo-label colours"}>
      <Async q={q}>
        {(t) => (
          <ul class="outputs-legend" data-testid="output-legend">
            {t.classes.map((c) => (
              <li key={c.id}>
                <Swatch color={c.color} /> <span class="mono small">{c.id}</span> {c.name}
              </li>
            ))}
          </ul>
        )}
      </Async>
    </Card>
  );
}
