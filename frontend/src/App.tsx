import { ErrorBox } from "./components/Async";
import { Layout } from "./components/Layout";
import { SignIn } from "./components/SignIn";
import { useRoute } from "./lib/router";
import { useSession } from "./lib/session";
import { screenFor } from "./screens";

/** Hash routes: `#/<section>/<id>`; each section owns its screens. In accounts mode, the
 * sign-in form until the server knows who this is. */
export function App() {
  const route = useRoute();
  const session = useSession();
  if (session.error) return <ErrorBox message={session.error} onRetry={session.refresh} />;
  if (session.identity === undefined) return <div class="muted loading">Loading…</div>;
  if (session.identity === null) return <SignIn onSignedIn={session.refresh} />;
  const section = route.parts[0] ?? "taxonomies";
  return (
    <Layout section={section === "frames" ? "datasets" : section} identity={session.identity} onSignOut={session.signOut}>
      {screenFor(section, route)}
    </Layout>
  );
}
