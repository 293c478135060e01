import type { SessionUser } from "@tandem/shared";
import { useCallback, useEffect, useRef, useState } from "react";
import { Route, Switch, useLocation } from "wouter";
import { AccountFooter } from "../features/account/AccountFooter.tsx";
import { EditingProvider } from "../features/projects/editing.tsx";
import { ProjectNav } from "../features/projects/ProjectNav.tsx";
import { ProjectView } from "../features/projects/ProjectView.tsx";
import { ProjectWriteNotices } from "../features/projects/ProjectWriteNotices.tsx";
import { Home } from "./Home.tsx";

/**
 * The workspace. `user`: who is signed in (AUTH=accounts); in AUTH=local nobody signs in or out.
 * On a narrow screen (below 640 px) the project list is a drawer, opened by "Projects"
 * and closed by choosing a project, Escape, or a tap beside it.
 */
export function App({ user }: { user: SessionUser | undefined }) {
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [location] = useLocation();
  const drawer = useRef<HTMLElement>(null);
  const opener = useRef<HTMLButtonElement>(null);

  // Choosing a project (or making one) goes there: the drawer has done its job.
  useEffect(() => setDrawerOpen(false), [location]);

  const close = useCallback(() => {
    setDrawerOpen(false);
    opener.current?.focus();
  }, []);

  // A screen that grows past the drawer's width shows the list beside the chat: no drawer.
  useEffect(() => {
    if (!drawerOpen) return;
    const wide = window.matchMedia("(min-width: 640px)");
    const onChange = () => wide.matches && setDrawerOpen(false);
    onChange();
    wide.addEventListener("change", onChange);
    return () => wide.removeEventListener("change", onChange);
  }, [drawerOpen]);

  // Open: the focus goes into the list, and Escape (wherever the focus is) closes it.
  useEffect(() => {
    if (!drawerOpen) return;
    drawer.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      // A form in the list that takes Escape itself (cancelling "New project") keeps it open.
      if (event.key === "Escape" && !event.defaultPrevented) close();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [drawerOpen, close]);

  return (
    <EditingProvider>
      <div className="app" data-drawer={drawerOpen ? "open" : "closed"}>
        <header className="top-bar">
          <button
            ref={opener}
            type="button"
            className="drawer-button"
            aria-expanded={drawerOpen}
            aria-controls="projects-drawer"
            onClick={() => setDrawerOpen((open) => !open)}
          >
            Projects
          </button>
          <span className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Tandem
          </span>
        </header>
        <aside id="projects-drawer" ref={drawer} className="app-sidebar" tabIndex={-1}>
          <ProjectNav />
          {user && <AccountFooter user={user} />}
        </aside>
        {drawerOpen && <div className="drawer-backdrop" aria-hidden="true" onPointerDown={close} />}
        {/* Behind an open drawer the chat is out of reach (focus, clicks, screen readers). */}
        <main className="app-main" inert={drawerOpen}>
          <ProjectWriteNotices />
          <Switch>
            <Route path="/projects/:id">
              {(params) => <ProjectView projectId={params.id} sharing={user !== undefined} />}
            </Route>
            <Route>
              <Home />
            </Route>
          </Switch>
        </main>
      </div>
    </EditingProvider>
  );
}
