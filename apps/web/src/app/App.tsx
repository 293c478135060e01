import { Route, Switch } from "wouter";
import { EditingProvider } from "../features/projects/editing.tsx";
import { ProjectNav } from "../features/projects/ProjectNav.tsx";
import { ProjectView } from "../features/projects/ProjectView.tsx";
import { ProjectWriteNotices } from "../features/projects/ProjectWriteNotices.tsx";
import { Home } from "./Home.tsx";

export function App() {
  return (
    <EditingProvider>
      <div className="app">
        <aside className="app-sidebar">
          <ProjectNav />
        </aside>
        <main className="app-main">
          <ProjectWriteNotices />
          <Switch>
            <Route path="/projects/:id">{(params) => <ProjectView projectId={params.id} />}</Route>
            <Route>
              <Home />
            </Route>
          </Switch>
        </main>
      </div>
    </EditingProvider>
  );
}
