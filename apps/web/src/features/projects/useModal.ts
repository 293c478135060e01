import { useEffect, useRef } from "react";

/** A native `<dialog>` opened as a modal while mounted: it traps focus and closes on Escape. */
export function useModal() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  return dialog;
}
