import type { ComponentChildren } from "preact";
import type { Identity } from "../lib/session";

const NAV = [
  ["taxonomies", "Taxonomies"],
  ["mappings", "Mappings"],
  ["datasets", "Datasets"],
  ["jobs", "Jobs"],
  ["models", "Models"],
  ["evaluations", "Evaluations"],
  ["training", "Training"],
] as const;

/** Sidebar navigation, who is signed in, and signing out (accounts mode). */
export function Layout(props: {
  section: string;
  identity: Identity;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  const { identity } = props;
  return (
    <div class="shell">
      <nav class="sidebar">
        <a class="brand" href="#/">
          <span class="logo">◧</span> ontolabel
        </a>
        {NAV.map(([key, label]) => (
          <a key={key} href={`#/${key}`} class={`nav-item${props.section === key ? " active" : ""}`}>
            {label}
          </a>
        ))}
        <div class="sidebar-foot">
          <div class="muted small signed-in" aria-label="Signed in as">
            <strong>{identity.name}</strong> · {identity.role}
            {identity.auth === "local" && " (local, no sign-in)"}
          </div>
          {identity.via === "cookie" && (
            <button class="btn small" onClick={props.onSignOut}>
              Sign out
            </button>
          )}
          <a class="muted small" href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
        </div>
      </nav>
      <main class="content">{props.children}</main>
    </div>
  );
}
