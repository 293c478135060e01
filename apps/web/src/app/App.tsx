import type { SessionUser } from "@tandem/shared";
import { Route, Switch } from "wouter";
import { AccountFooter } from "../features/account/AccountFooter.tsx";
import { EditingProvider } from "../features/projects/editing.tsx";
import { ProjectNav } from "../features/projects/ProjectNav.tsx";
import { ProjectView } from "../features/projects/ProjectView.tsx";
import { ProjectWriteNotices } from "../features/projects/ProjectWriteNotices.tsx";
import { Home } from "./Home.tsx";

/** The workspace. `user`: who is signed in (AUTH=accounts); in AUTH=local nobody signs in or out. */
export function App({ user }: { user: SessionUser | undefined }) {
  return (
    <EditingProvider>
      <div className="app">
        <aside className="app-sidebar">
          <ProjectNav />
          {user && <AccountFooter user={user} />}
        </aside>
        <main className="app-main">
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
