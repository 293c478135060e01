import {
  createContext,
  type Dispatch,
  type ReactNode,
  type SetStateAction,
  useContext,
  useState,
} from "react";

/**
 * Which inline editor is open. Only one "Project name" textbox shows at a time, so
 * opening "New project" closes a rename and the other way round.
 */
type Editor = "new-project" | "rename-project" | null;

const EditingContext = createContext<{ editor: Editor; setEditor: Dispatch<SetStateAction<Editor>> } | null>(
  null,
);

export function EditingProvider({ children }: { children: ReactNode }) {
  const [editor, setEditor] = useState<Editor>(null);
  return <EditingContext.Provider value={{ editor, setEditor }}>{children}</EditingContext.Provider>;
}

export function useEditing() {
  const context = useContext(EditingContext);
  if (!context) throw new Error("useEditing needs an EditingProvider");
  return context;
}
