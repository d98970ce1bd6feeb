import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Card, Page } from "../../components/Page";
import { when } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { EvaluationTable } from "../evaluations/EvaluationTable";
import { JobLinks } from "../jobs/JobLinks";
import { ModelActions } from "./ModelActions";
import { TrainedBy } from "./TrainedBy";
import { useNames } from "./useNames";

/** `#/models/<id>`: a model, where it came from, and its evaluations. */
export function ModelView(props: { id: number }) {
  const q = useQuery(() => unwrap(api.GET("/api/models/{model_id}", { params: { path: { model_id: props.id } } })), [props.id]);
  const evaluations = useQuery(
    () => unwrap(api.GET("/api/models/evaluations", { params: { query: { model_id: props.id, limit: 1000 } } })),
    [props.id],
  );
  const names = useNames();
  return (
    <Async q={q}>
      {(m) => (
        <Page
          title={
            <>
              <a href={href("models")}>Models</a> / {m.name}
            </>
          }
          actions={
            <>
              <JobLinks model_id={m.id} />
              <ModelActions modelId={m.id} />
            </>
          }
        >
          <Card>
            <dl class="kv">
              <dt>Taxonomy</dt>
              <dd>
                <a href={href(`taxonomies/${m.taxonomy_id}`)}>{names.taxonomy(m.taxonomy_id) ?? `#${m.taxonomy_id}`}</a>
              </dd>
              <dt>Kind</dt>
              <dd>{m.kind}</dd>
              <dt>Path</dt>
              <dd class="mono">{m.path}</dd>
              <dt>Trained by</dt>
              <dd>
                <TrainedBy details={m.details} />
              </dd>
              <dt>Registered</dt>
              <dd>
                {when(m.created_at)} by {m.created_by}
              </dd>
            </dl>
          </Card>
          <Card title="Evaluations">
            <Async q={evaluations} isEmpty={(d) => d.items.length === 0} empty="Not evaluated yet.">
              {(d) => <EvaluationTable items={d.items} modelName={names.model} />}
            </Async>
          </Card>
        </Page>
      )}
    </Async>
  );
}
