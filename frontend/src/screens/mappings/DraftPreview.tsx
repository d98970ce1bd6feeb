import { useMemo, useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { href } from "../../lib/router";
import { pct } from "../../lib/format";
import { type PreviewChoice, loadChoice, saveChoice } from "./preview/choice";
import { FramePicker, type Picked } from "./preview/FramePicker";
import { HoverInfo } from "./preview/HoverInfo";
import { PreviewCanvas, type Point } from "./preview/PreviewCanvas";
import { pixelReader } from "./preview/pixels";
import { useDraftPreview, useTeacherJob } from "./preview/usePreview";
import { type Cell, VerifyCell } from "./preview/VerifyCell";
import { type Row, changeCount, diffRows } from "./rows";

/**
 * The constrained pseudo-label of a picked frame under the *unsaved* draft, re-rendered by
 * the server (numpy, no model) shortly after each edit; a preview job fills the teacher's
 * cache first when the frame has none. Hover a pixel for its label and class; verify cells.
 */
export function DraftPreview(props: { mapping: Schemas["MappingDetailRead"]; rows: Row[]; baseRevision: number; baseRows: Row[] }) {
  const mappingId = props.mapping.id;
  const [choice, setChoiceState] = useState<PreviewChoice>(() => loadChoice(mappingId));
  const setChoice = (c: PreviewChoice) => {
    setChoiceState(c);
    saveChoice(mappingId, c);
  };
  const [picked, setPicked] = useState<Picked>();
  const [attempt, setAttempt] = useState(0);
  const [hover, setHover] = useState<Point>();
  const [pin, setPin] = useState<Point>();
  const frameId = picked?.frame.id;
  const preview = useDraftPreview(mappingId, picked?.modelId, frameId, props.rows, attempt);
  const teacher = useTeacherJob(picked?.modelId, picked?.datasetId, frameId, picked?.ahead ?? [], preview.missing, () => setAttempt((n) => n + 1));
  const result = preview.result;
  const reader = useMemo(() => (result ? pixelReader(result.pixels) : undefined), [result]);
  const shown = hover ?? pin;
  const info = reader && shown ? reader.at(shown.fx, shown.fy) : undefined;
  const pinned = reader && pin ? reader.at(pin.fx, pin.fy) : undefined;
  const pixelCell: Cell | undefined = pinned?.chosen !== undefined && pinned.extraName !== undefined ? { sourceId: pinned.chosenId, label: pinned.extraName.trim() } : undefined;
  const dirty = useMemo(() => changeCount(diffRows(props.baseRows, props.rows)) > 0, [props.baseRows, props.rows]);

  return (
    <div class="card" data-testid="draft-preview">
      <div class="card-head">
        <h2>Preview</h2>
        {preview.loading && <span class="muted small">updating…</span>}
      </div>
      <FramePicker
        mapping={props.mapping}
        choice={choice}
        onChange={setChoice}
        onPicked={(p) => {
          setPicked(p);
          setPin(undefined);
        }}
      />
      {preview.error && <ErrorBox message={preview.error} />}
      {picked && preview.missing && (
        <div class="preview-teacher" data-testid="preview-teacher-job">
          {teacher.error ? (
            <ErrorBox message={teacher.error} onRetry={teacher.run} />
          ) : teacher.status === "succeeded" ? (
            <div class="small">
              The preview job finished but cached nothing for this frame;{" "}
              <a href={href(`jobs/${teacher.jobId}`)}>see its errors</a>.{" "}
              <button class="btn small" onClick={teacher.run}>
                Run again
              </button>
            </div>
          ) : (
            <div class="muted small">
              No teacher output cached for this frame yet: running the teacher{teacher.jobId ? <> (<a href={href(`jobs/${teacher.jobId}`)}>job {teacher.jobId}</a>, {teacher.status})</> : ` (${teacher.status ?? "queuing"})`}…
            </div>
          )}
        </div>
      )}
      {picked && result && (
        <>
          <PreviewCanvas frameId={picked.frame.id} result={result} pin={pin} onHover={setHover} onPin={setPin} />
          <div class="muted small" data-testid="preview-stats">
            changed {pct(result.changed)} · ignored {pct(result.ignored)} · {Math.round(result.milliseconds)} ms
          </div>
          <HoverInfo info={info} pinned={!hover && !!pin} />
          <VerifyCell
            mappingId={mappingId}
            baseRevision={props.baseRevision}
            baseRows={props.baseRows}
            draftDirty={dirty}
            datasetId={picked.datasetId}
            frameId={picked.frame.id}
            frameKey={picked.frame.key}
            fromPixel={pixelCell}
          />
        </>
      )}
    </div>
  );
}
