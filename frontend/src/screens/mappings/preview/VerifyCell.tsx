import { useEffect, useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../../api/client";
import { ErrorBox } from "../../../components/Async";
import { useQuery } from "../../../lib/useQuery";
import type { Row } from "../rows";

/** A mapping cell: a source row and one extra label. */
export interface Cell {
  sourceId: number;
  label: string;
}

const cellValue = (c: Cell) => `${c.sourceId}:${c.label}`;

/**
 * Confirm or reject one cell with the previewed frame as evidence. Decisions are recorded
 * against the revision the draft started from: an unsaved draft is not a revision.
 */
export function VerifyCell(props: {
  mappingId: number;
  baseRevision: number;
  baseRows: Row[];
  draftDirty: boolean;
  datasetId: number;
  frameId: number;
  frameKey?: string;
  /** The pinned pixel's cell, if it has one. */
  fromPixel?: Cell;
}) {
  const [picked, setPicked] = useState<Cell>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // A newly pinned pixel wins over a cell picked from the list before.
  useEffect(() => setPicked(undefined), [props.fromPixel && cellValue(props.fromPixel)]);
  const cell = picked ?? props.fromPixel;
  const state = useQuery(
    () => unwrap(api.GET("/api/verifications/state", { params: { query: { mapping_id: props.mappingId, revision: props.baseRevision } } })),
    [props.mappingId, props.baseRevision],
  );
  const options = props.baseRows.flatMap((r) => (r.extra_labels ?? []).map((l) => ({ sourceId: r.source_id, label: l.trim(), row: r.source_name })));
  const row = cell && props.baseRows.find((r) => r.source_id === cell.sourceId);
  const inBase = !!cell && !!row && (row.extra_labels ?? []).some((l) => l.trim() === cell.label);
  const recorded = cell && state.data?.items.find((r) => r.source_id === cell.sourceId)?.cells.find((c) => c.extra_label === cell.label);

  async function decide(decision: "confirmed" | "wrong") {
    if (!cell) return;
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(
        api.POST("/api/verifications", {
          body: {
            mapping_id: props.mappingId,
            revision: props.baseRevision,
            source_id: cell.sourceId,
            extra_label: cell.label,
            decision,
            dataset_id: props.datasetId,
            evidence_frame_ids: [props.frameId],
            note: `from the live preview of frame ${props.frameKey ?? props.frameId}`,
          },
        }),
      );
      state.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="preview-verify" data-testid="preview-verify">
      <div class="row">
        <select
          class="input small"
          aria-label="cell to verify"
          data-testid="verify-cell"
          value={cell ? cellValue(cell) : ""}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            setPicked(options.find((o) => cellValue(o) === v));
          }}
        >
          <option value="">{props.fromPixel ? "" : "pick a cell, or click a pixel"}</option>
          {cell && !inBase && <option value={cellValue(cell)}>{`${cell.label} → source ${cell.sourceId}`}</option>}
          {options.map((o) => (
            <option key={cellValue(o)} value={cellValue(o)}>
              {`${o.label} → ${o.row}`}
            </option>
          ))}
        </select>
        {picked && (
          <button class="btn small" onClick={() => setPicked(undefined)} title="use the pinned pixel's cell">
            Use pixel
          </button>
        )}
      </div>
      {cell && (
        <div class="small" data-testid="verify-state">
          {recorded?.decision ? (
            <>
              <span class={`badge ${recorded.decision === "wrong" ? "disputed" : "verified"}`}>{recorded.decision}</span>{" "}
              {recorded.verification ? `by ${recorded.verification.reviewer} at revision ${recorded.verification.revision_number}` : recorded.carried_over ? "carried over from an earlier revision" : ""}
            </>
          ) : (
            <span class="badge unverified">unverified</span>
          )}
        </div>
      )}
      {cell && !inBase && (
        <div class="muted small" data-testid="verify-not-in-base">
          “{cell.label}” is not in this row at revision {props.baseRevision}; save the draft to verify it.
        </div>
      )}
      {props.draftDirty && inBase && <div class="muted small">The draft is not saved: decisions go to revision {props.baseRevision}, the one it started from.</div>}
      {error && <ErrorBox message={error} />}
      <div class="row">
        <button class="btn small primary" data-testid="verify-confirm" disabled={!inBase || busy} onClick={() => decide("confirmed")}>
          Confirm cell with this frame
        </button>
        <button class="btn small" data-testid="verify-reject" disabled={!inBase || busy} onClick={() => decide("wrong")}>
          Reject
        </button>
      </div>
    </div>
  );
}
