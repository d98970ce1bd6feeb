import type { ComponentChildren } from "preact";

/** A screen: breadcrumb-like title row with actions, then the body. */
export function Page(props: {
  title: ComponentChildren;
  subtitle?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="page">
      <header class="page-head">
        <div>
          <h1>{props.title}</h1>
          {props.subtitle && <div class="subtitle">{props.subtitle}</div>}
        </div>
        <div class="actions">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

export function Card(props: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string }) {
  return (
    <div class={`card ${props.class ?? ""}`}>
      {(props.title || props.actions) && (
        <div class="card-head">
          <h2>{props.title}</h2>
          <div class="actions">{props.actions}</div>
        </div>
      )}
      {props.children}
    </div>
  );
}
