import { Layout } from "./components/Layout";
import { useRoute } from "./lib/router";
import { screenFor } from "./screens";

/** Hash routes: `#/<section>/<id>`; each section owns its screens. */
export function App() {
  const route = useRoute();
  const section = route.parts[0] ?? "taxonomies";
  return <Layout section={section === "frames" ? "datasets" : section}>{screenFor(section, route)}</Layout>;
}
