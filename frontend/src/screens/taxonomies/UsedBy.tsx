import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Card } from "../../components/Page";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";

/** The mappings that map from or onto this taxonomy. */
export function UsedBy(props: { taxonomyId: number; kind: string }) {
  const key = props.kind === "source" ? "source_taxonomy_id" : "extra_taxonomy_id";
  const q = useQuery(
    () => unwrap(api.GET("/api/mappings", { params: { query: { [key]: props.taxonomyId } } })),
    [props.taxonomyId, key],
  );
  return (
    <Card title="Mappings">
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No mapping uses this taxonomy yet.">
        {(d) => (
          <div class="row">
            {d.items.map((m) => (
              <a key={m.id} class="chip" href={href(`mappings/${m.id}`)}>
                {props.kind === "source" ? m.extra_taxonomy : m.source_taxonomy} · rev {m.head_revision}
              </a>
            ))}
          </div>
        )}
      </Async>
    </Card>
  );
}
