import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, unwrap, type Schemas } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { count } from "../../lib/format";
import { href } from "../../lib/router";
import { type FrameItem, type FrameRule, ruleQuery, samplingOf } from "./frameRule";
import { SamplingForm } from "./SamplingForm";
import { useFramePages } from "./useFramePages";
import { useVirtualRows } from "./useVirtualRows";

// Fixed tile size (see `.vgrid` in styles.css): rows are placed by arithmetic, not measured.
const TILE_WIDTH = 184;
const ROW_HEIGHT = 144;
const GAP = 10;
const OVERSCAN = 2;
// Wait for the scrolling to pause this long before fetching (a scrollbar drag skips pages).
const FETCH_DELAY_MS = 40;

/** Thumbnails of the frames a rule picks, in one scrolling box that stands for all of them;
 * only the visible rows are rendered and their pages fetched. The rule is kept in the URL. */
export function FrameGrid(props: {
  dataset: Schemas["DatasetRead"];
  summary: Schemas["DatasetSummary"];
  taxonomy: Schemas["TaxonomyDetailRead"];
  rule: FrameRule;
}) {
  const { rule } = props;
  const ruleKey = new URLSearchParams(ruleQuery(rule)).toString();
  const frames = useFramePages(props.dataset.id, rule, ruleKey);
  const box = useRef<HTMLDivElement>(null);
  const rows = useVirtualRows(box, { items: frames.total ?? 0, tileWidth: TILE_WIDTH, rowHeight: ROW_HEIGHT, gap: GAP, overscan: OVERSCAN });
  const first = rows.first * rows.columns;
  const end = Math.min(frames.total ?? 0, rows.end * rows.columns);
  const { want } = frames;
  useEffect(() => {
    if (frames.total === undefined) return want(0, 1); // the first page also says how many
    const timer = setTimeout(() => want(first, end), FETCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [want, first, end, frames.total]);
  useEffect(() => {
    if (box.current) box.current.scrollTop = 0;
  }, [ruleKey]);

  const [note, setNote] = useState<{ ok: boolean; text: string }>();
  async function saveSample() {
    const name = prompt("Name of the sample set (keeps this rule and the frames it picks now)");
    if (!name) return;
    try {
      const saved = await unwrap(
        api.POST("/api/datasets/{dataset_id}/sample-sets", { params: { path: { dataset_id: props.dataset.id } }, body: { name, rule: samplingOf(rule) } }),
      );
      setNote({ ok: true, text: `Saved sample set “${saved.name}” with ${saved.frame_ids.length} frames.` });
    } catch (e) {
      setNote({ ok: false, text: errorText(e) });
    }
  }

  const tiles = [];
  for (let i = first; i < end; i++) tiles.push(<Tile key={i} index={i} frame={frames.at(i)} rule={rule} />);
  const shownFrom = Math.min(frames.total ?? 0, rows.shownFirst * rows.columns + 1);
  const shownTo = Math.min(frames.total ?? 0, rows.shownEnd * rows.columns);
  return (
    <>
      <SamplingForm dataset={props.dataset} summary={props.summary} taxonomy={props.taxonomy} rule={rule} onSave={saveSample} />
      {note && (note.ok ? <div class="ok-box">{note.text}</div> : <ErrorBox message={note.text} />)}
      {frames.error && <ErrorBox message={frames.error} />}
      <div class="row" style={{ marginBottom: "8px" }}>
        <span class="muted" data-testid="frame-count">
          {frames.total === undefined ? "Loading…" : frames.total === 0 ? "No frame matches this rule." : `${count(frames.total)} frames · showing ${count(shownFrom)}–${count(shownTo)}`}
        </span>
      </div>
      <div ref={box} class="vgrid" data-testid="frame-grid" aria-label="frames" style={{ maxHeight: "70vh" }}>
        <div style={{ height: `${rows.height}px`, position: "relative" }}>
          <div
            class="vgrid-rows"
            style={{ transform: `translateY(${rows.offset}px)`, gridTemplateColumns: `repeat(${rows.columns}, ${TILE_WIDTH}px)`, gridAutoRows: `${ROW_HEIGHT - GAP}px`, gap: `${GAP}px` }}
          >
            {tiles}
          </div>
        </div>
      </div>
    </>
  );
}

/** One frame's thumbnail linking to it (with its place in this rule's list), or a
 * placeholder while its page loads. */
function Tile(props: { index: number; frame: FrameItem | undefined; rule: FrameRule }) {
  const f = props.frame;
  if (!f) return <div class="thumb placeholder" aria-hidden="true" />;
  return (
    <a class="thumb" href={href(`frames/${f.id}`, { ...ruleQuery(props.rule), i: props.index })} title={f.key} data-index={props.index}>
      <img src={`/api/frames/${f.id}/thumbnail?size=256`} alt={f.key} loading="lazy" width={TILE_WIDTH} height={104} />
      <div class="cap">
        {f.error_kind && <span class="badge error">{f.error_kind}</span>} {[f.sequence, f.camera, f.frame].filter(Boolean).join(" · ") || f.key}
      </div>
    </a>
  );
}
