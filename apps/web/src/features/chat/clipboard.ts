/**
 * Puts text on the clipboard. The Clipboard API needs a secure context (https, or this
 * machine); a page served over plain http to another machine falls back to the older
 * copy command on a selected, off-screen text box.
 */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const box = document.createElement("textarea");
  box.value = text;
  box.setAttribute("readonly", "");
  box.style.position = "fixed";
  box.style.opacity = "0";
  document.body.append(box);
  box.select();
  try {
    if (!document.execCommand("copy")) throw new Error("The browser refused to copy");
  } finally {
    box.remove();
  }
}
