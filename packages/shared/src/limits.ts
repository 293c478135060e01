/** Limits shared by the API's validation and the UI's inputs. */
export const PROJECT_NAME_MAX = 200;
export const MESSAGE_CONTENT_MAX = 100_000;
/** A project's instructions: the model's system message in every reply of the project. */
export const PROJECT_INSTRUCTIONS_MAX = 20_000;
export const BODY_LIMIT_BYTES = 1024 * 1024;
export const MESSAGES_PAGE_MAX = 1000;
