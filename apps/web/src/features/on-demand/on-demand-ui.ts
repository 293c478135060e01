/**
 * The UI most visits never open: one chunk, loaded after the first paint (OnDemand.tsx),
 * so the first load carries only what draws the workspace and the chat.
 */
export { SignInScreen } from "../account/SignInScreen.tsx";
export { SignOutDialog } from "../account/SignOutDialog.tsx";
export { DeleteProjectDialog } from "../projects/DeleteProjectDialog.tsx";
export { ExportDialog } from "../projects/ExportDialog.tsx";
export { ProjectSettingsDialog } from "../projects/ProjectSettingsDialog.tsx";
export { SearchDialog } from "../search/SearchDialog.tsx";
export { ShareDialog } from "../sharing/ShareDialog.tsx";
