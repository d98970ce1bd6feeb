import { api, unwrap } from "../../api/client";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";

/**
 * Issue 16: how many frames of a pseudo-label job's folder a rerun with the mapping's
 * current head would relabel (`GET /api/datasets/{id}/stale`), and a button that opens the
 * job's form again, on the head revision and into the same folder, so only those frames
 * are relabelled.
 */
export function StaleBadge(props: { jobId: number; datasetId: number; folder: string; mappingId: number }) {
  const q = useQuery(async () => {
    const mapping = await unwrap(api.GET("/api/mappings/{mapping_id}", { params: { path: { mapping_id: props.mappingId } } }));
    const query = { folder: props.folder, mapping_id: props.mappingId, revision: mapping.head_revision };
    const stale = await unwrap(api.GET("/api/datasets/{dataset_id}/stale", { params: { path: { dataset_id: props.datasetId }, query } }));
    return { mapping, stale };
  }, [props.datasetId, props.folder, props.mappingId]);
  if (q.error) return <span class="muted small" data-testid="stale-badge">staleness unknown: {q.error}</span>;
  if (!q.data) return <span class="muted small">checking staleness…</span>;
  const { mapping, stale } = q.data;
  const title = `against ${mapping.name} revision ${stale.revision}: ${stale.kept} of ${stale.frames} frames kept`;
  return (
    <span class="row" style={{ flexWrap: "nowrap" }}>
      <span class={`badge ${stale.stale ? "warning" : "succeeded"}`} data-testid="stale-badge" title={title}>
        {stale.stale ? stale.message : "up to date"}
      </span>
      {stale.stale > 0 && (
        <a
          class="btn small"
          data-testid="relabel-stale"
          href={href("jobs/new", { kind: "pseudo_label", rerun: props.jobId, revision: stale.revision, output_dir: stale.folder })}
        >
          Relabel stale frames
        </a>
      )}
    </span>
  );
}
