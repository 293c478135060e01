import { ApiRoute, expect, type Person, projectIdOf, readyForOffline, test, uniqueName } from "./fixtures.ts";

/**
 * Accounts (AUTH=accounts, the worker's own server): signing in and up, each person's
 * data kept apart, sharing a project live, and signing out. Each person is a browser
 * context of their own.
 */

const signInHeading = (person: Person) => person.page.getByRole("heading", { name: "Sign in", exact: true });
const signOutButton = (person: Person) => person.page.getByRole("button", { name: "Sign out", exact: true });
const textbox = (person: Person, name: string) => person.page.getByRole("textbox", { name, exact: true });
const button = (person: Person, name: string) => person.page.getByRole("button", { name, exact: true });

async function signInThroughTheForm(person: Person, password = person.password): Promise<void> {
  await textbox(person, "Email").fill(person.email);
  await textbox(person, "Password").fill(password);
  await button(person, "Sign in").click();
}

/** The person's share dialog for the open project. */
function shareDialog(person: Person) {
  return person.page.getByRole("dialog", { name: "Share project" });
}

test("a new person signs up, signs out and signs in again; a wrong password is refused", async ({
  accounts,
}) => {
  const ann = await accounts.person("Ann", { signedUp: false });
  await ann.page.goto("/");
  await expect(signInHeading(ann)).toBeVisible();
  await expect(ann.app.newProjectButton).toHaveCount(0);

  await button(ann, "Create account").click();
  await expect(ann.page.getByRole("heading", { name: "Create account" })).toBeVisible();
  await textbox(ann, "Name").fill(ann.name);
  await textbox(ann, "Email").fill(ann.email);
  await textbox(ann, "Password").fill(ann.password);
  await button(ann, "Create account").click();
  await expect(signOutButton(ann)).toBeVisible();
  await expect(ann.app.newProjectButton).toBeVisible();
  await expect(ann.page.getByText(ann.email)).toBeVisible();

  await signOutButton(ann).click();
  await expect(signInHeading(ann)).toBeVisible();

  await signInThroughTheForm(ann, "not the password");
  await expect(ann.page.getByRole("alert")).toContainText("Wrong email or password");
  await expect(signOutButton(ann)).toHaveCount(0);

  await signInThroughTheForm(ann);
  await expect(signOutButton(ann)).toBeVisible();
  await expect(ann.page.getByRole("alert")).toHaveCount(0);
});

test("the sign-up form switches back to sign-in; an email already taken is refused in the form", async ({
  accounts,
}) => {
  const ann = await accounts.person("Ann");
  const other = await accounts.person("Other", { signedUp: false });
  await other.page.goto("/");
  await button(other, "Create account").click();
  await button(other, "Sign in").click();
  await expect(signInHeading(other)).toBeVisible();

  await button(other, "Create account").click();
  await textbox(other, "Name").fill(other.name);
  await textbox(other, "Email").fill(ann.email);
  await textbox(other, "Password").fill(other.password);
  await button(other, "Create account").click();
  await expect(other.page.getByRole("alert")).toContainText("Couldn't create the account");
  await expect(signOutButton(other)).toHaveCount(0);
});

test("repeated wrong passwords are throttled, and the form says when to try again", async ({ accounts }) => {
  const ann = await accounts.person("Ann", { signedUp: true });
  await ann.context.clearCookies();
  // Failed attempts up to the limit, through the API (the form would only be slower).
  await expect
    .poll(
      async () =>
        (await ann.post("/api/auth/sign-in/email", { email: ann.email, password: "wrong" })).status(),
      { intervals: [0], timeout: 20_000 },
    )
    .toBe(429);

  await ann.page.goto("/");
  await signInThroughTheForm(ann);
  await expect(ann.page.getByRole("alert")).toContainText(/Too many failed sign-ins\. Try again in \d+ \w+/);
  await expect(signOutButton(ann)).toHaveCount(0);
});

test("two people see only their own projects", async ({ accounts }) => {
  const ann = await accounts.person("Ann");
  const bob = await accounts.person("Bob");
  await ann.page.goto("/");
  await bob.page.goto("/");
  const annsProject = uniqueName("Ann's plans");
  const bobsProject = uniqueName("Bob's plans");
  await ann.app.createProject(annsProject);
  await ann.app.sendMessage("for Ann's eyes");
  await expect(ann.app.message("for Ann's eyes")).toHaveAttribute("data-status", "complete");
  await bob.app.createProject(bobsProject);

  await expect(ann.app.projectLink(annsProject)).toBeVisible();
  await expect(ann.app.projectLink(bobsProject)).toHaveCount(0);
  await expect(bob.app.projectLink(bobsProject)).toBeVisible();
  await expect(bob.app.projectLink(annsProject)).toHaveCount(0);

  // Bob cannot open Ann's project by its address either.
  const annsId = projectIdOf(ann.page.url());
  await bob.page.goto(`/projects/${annsId}`);
  await expect(bob.page.getByRole("heading", { name: "Project not found" })).toBeVisible();
  await expect(bob.page.getByText("for Ann's eyes")).toHaveCount(0);
});

test("the owner shares a project by email; a wrong email is told in the dialog", async ({ accounts }) => {
  const ann = await accounts.person("Ann");
  const bob = await accounts.person("Bob");
  await ann.page.goto("/");
  await ann.app.createProject(uniqueName("Shared"));

  await button(ann, "Share project").click();
  const dialog = shareDialog(ann);
  await expect(dialog).toBeVisible();
  const members = dialog.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(1);
  await expect(members.getByRole("listitem")).toContainText(ann.email);
  // The owner is not removable.
  await expect(members.getByRole("button", { name: "Remove" })).toHaveCount(0);

  await dialog.getByRole("textbox", { name: "Email" }).fill("nobody-here@example.test");
  await dialog.getByRole("button", { name: "Invite" }).click();
  await expect(dialog.getByRole("alert")).toContainText("No account uses that email");
  await expect(members.getByRole("listitem")).toHaveCount(1);

  await dialog.getByRole("textbox", { name: "Email" }).fill(bob.email);
  await dialog.getByRole("button", { name: "Invite" }).click();
  await expect(members.getByRole("listitem")).toHaveCount(2);
  const bobsItem = members.getByRole("listitem").filter({ hasText: bob.email });
  await expect(bobsItem.getByRole("button", { name: "Remove" })).toBeVisible();
  await expect(dialog.getByRole("alert")).toHaveCount(0);

  await bobsItem.getByRole("button", { name: "Remove" }).click();
  await expect(members.getByRole("listitem")).toHaveCount(1);
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toHaveCount(0);
});

test("shared: the project appears live for the invitee, both chat live; removed: it disappears live", async ({
  accounts,
}) => {
  const ann = await accounts.person("Ann");
  const bob = await accounts.person("Bob");
  await ann.page.goto("/");
  await bob.page.goto("/");
  await expect(bob.app.connection).toHaveText("Online");
  const name = uniqueName("Together");
  await ann.app.createProject(name);
  await ann.app.sendMessage("hello from Ann");
  await expect(ann.app.message("hello from Ann")).toHaveAttribute("data-status", "complete");

  await button(ann, "Share project").click();
  await shareDialog(ann).getByRole("textbox", { name: "Email" }).fill(bob.email);
  await shareDialog(ann).getByRole("button", { name: "Invite" }).click();
  await expect(shareDialog(ann).getByRole("listitem")).toHaveCount(2);
  await shareDialog(ann).getByRole("button", { name: "Close" }).click();

  // Bob did nothing: the project arrives by the feed, with its messages.
  await expect(bob.app.projectLink(name)).toBeVisible();
  await bob.app.projectLink(name).click();
  await expect(bob.app.message("hello from Ann")).toBeVisible();
  await bob.app.sendMessage("hello from Bob");
  await expect(ann.app.message("hello from Bob")).toBeVisible();
  await ann.app.sendMessage("and back to Bob");
  await expect(bob.app.message("and back to Bob")).toBeVisible();

  // Bob sees who else is in it, and cannot remove anyone.
  await button(bob, "Share project").click();
  await expect(shareDialog(bob).getByRole("listitem")).toHaveCount(2);
  await expect(shareDialog(bob).getByRole("button", { name: "Remove" })).toHaveCount(0);
  await shareDialog(bob).getByRole("button", { name: "Close" }).click();

  await button(ann, "Share project").click();
  await shareDialog(ann)
    .getByRole("listitem")
    .filter({ hasText: bob.email })
    .getByRole("button", { name: "Remove" })
    .click();
  await expect(shareDialog(ann).getByRole("listitem")).toHaveCount(1);

  await expect(bob.app.projectLink(name)).toHaveCount(0);
  await expect(bob.page.getByRole("heading", { name: "Project not found" })).toBeVisible();
  await expect(bob.page.getByText("hello from Ann")).toHaveCount(0);
});

test("a member leaves a shared project and it is gone from their browser", async ({ accounts }) => {
  const ann = await accounts.person("Ann");
  const bob = await accounts.person("Bob");
  await ann.page.goto("/");
  const name = uniqueName("Leave me");
  await ann.app.createProject(name);
  const projectId = projectIdOf(ann.page.url());
  // Once the project is on the server.
  await expect(ann.app.projectLink(name).locator("xpath=..")).toHaveAttribute("data-status", "saved");
  const invited = await ann.post(`/api/projects/${projectId}/members`, { email: bob.email });
  expect(invited.status(), await invited.text()).toBe(201);

  await bob.page.goto(`/projects/${projectId}`);
  await expect(bob.app.heading(name)).toBeVisible();
  await button(bob, "Share project").click();
  await shareDialog(bob).getByRole("button", { name: "Leave project" }).click();
  await expect(bob.page).toHaveURL(/\/$/);
  await expect(bob.app.projectLink(name)).toHaveCount(0);
});

test("signing out leaves nothing of that person to see, even offline", async ({ accounts }) => {
  const ann = await accounts.person("Ann", { offline: true });
  await ann.page.goto("/");
  const name = uniqueName("Private");
  await ann.app.createProject(name);
  await ann.app.sendMessage("a private thought");
  await expect(ann.app.message("a private thought")).toHaveAttribute("data-status", "complete");
  await ann.app.messageInput.fill("half a draft");
  await readyForOffline(ann.page, name, "a private thought");

  await signOutButton(ann).click();
  await expect(signInHeading(ann)).toBeVisible();

  await ann.context.setOffline(true);
  await ann.page.reload();
  await expect(signInHeading(ann)).toBeVisible();
  await expect(ann.page.getByText(name)).toHaveCount(0);
  await expect(ann.page.getByText("a private thought")).toHaveCount(0);
  const stored = await ann.page.evaluate(async () => {
    const databases = await indexedDB.databases();
    return { databases: databases.map((database) => database.name), keys: Object.keys(localStorage) };
  });
  expect(stored.databases.filter((name) => name?.includes("replica") || name?.includes("outbox"))).toEqual(
    [],
  );
  expect(stored.keys.filter((key) => key.includes("draft") || key.includes("failed-writes"))).toEqual([]);
});

test("a signed-in person's app opens offline from their replica and takes work", async ({ accounts }) => {
  const ann = await accounts.person("Ann", { offline: true });
  await ann.page.goto("/");
  const name = uniqueName("Offline");
  await ann.app.createProject(name);
  await ann.app.sendMessage("written online");
  await expect(ann.app.message("written online")).toHaveAttribute("data-status", "complete");
  await readyForOffline(ann.page, name, "written online");

  await ann.context.setOffline(true);
  await ann.page.reload();
  await expect(ann.app.heading(name)).toBeVisible();
  await expect(ann.app.message("written online")).toBeVisible();
  await ann.app.sendMessage("written offline");
  await expect(ann.app.message("written offline")).toHaveAttribute("data-status", "pending");

  await ann.context.setOffline(false);
  await expect(ann.app.message("written offline")).toHaveAttribute("data-status", "complete");
});

test("signing out with unsent changes asks first; Cancel keeps them", async ({ accounts }) => {
  const ann = await accounts.person("Ann");
  await ann.page.goto("/");
  await ann.app.createProject(uniqueName("Unsent"));
  const chat = new ApiRoute(ann.page, "POST", "/api/chat");
  await chat.fail("network");
  await ann.app.sendMessage("not sent yet");
  await expect(ann.page.getByText("1 unsent change")).toBeVisible();

  await signOutButton(ann).click();
  const dialog = ann.page.getByRole("dialog", { name: "Discard unsent changes?" });
  await expect(dialog).toContainText("1 change you made here has not reached the server yet");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(ann.page.getByText("1 unsent change")).toBeVisible();

  await signOutButton(ann).click();
  await dialog.getByRole("button", { name: "Discard and sign out" }).click();
  await expect(signInHeading(ann)).toBeVisible();
  await signInThroughTheForm(ann);
  await expect(signOutButton(ann)).toBeVisible();
  await expect(ann.page.getByText(/unsent change/)).toHaveCount(0);
});

test("a session ended while sending asks to sign in again, and the write goes once the same person does", async ({
  accounts,
}) => {
  const ann = await accounts.person("Ann");
  await ann.page.goto("/");
  const name = uniqueName("Paused");
  await ann.app.createProject(name);
  const chat = new ApiRoute(ann.page, "POST", "/api/chat");
  const release = await chat.hold();
  await ann.app.sendMessage("sent across a sign-out");
  await expect(ann.app.message("sent across a sign-out")).toHaveAttribute("data-status", "pending");

  // The session ends elsewhere (the cookie goes with it): the held send then gets a 401.
  const ended = await ann.post("/api/auth/sign-out");
  expect(ended.status()).toBe(200);
  release();
  await expect(signInHeading(ann)).toBeVisible();
  await expect(ann.page.getByText("Your session has ended")).toBeVisible();
  await expect(textbox(ann, "Email")).toHaveValue(ann.email);

  await chat.restore();
  await textbox(ann, "Password").fill(ann.password);
  await button(ann, "Sign in").click();
  await expect(ann.app.heading(name)).toBeVisible();
  await expect(ann.app.message("sent across a sign-out")).toHaveAttribute("data-status", "complete");
  await expect(ann.app.userMessages).toHaveCount(1);
});

test("a sign-out in one tab signs every tab out", async ({ accounts }) => {
  const ann = await accounts.person("Ann");
  await ann.page.goto("/");
  const name = uniqueName("Two tabs");
  await ann.app.createProject(name);
  const second = await ann.context.newPage();
  await second.goto("/");
  await expect(second.getByRole("link", { name })).toBeVisible();

  await signOutButton(ann).click();
  await expect(second.getByRole("heading", { name: "Sign in", exact: true })).toBeVisible();
  await expect(second.getByText(name)).toHaveCount(0);
});

test("in AUTH=local nobody signs in: no sign-in form, no Sign out, no sharing", async ({ app, api }) => {
  const project = await api.createProject(uniqueName("Local"));
  await app.open(project);
  await expect(app.renameButton).toBeVisible();
  await expect(app.page.getByRole("heading", { name: "Sign in" })).toHaveCount(0);
  await expect(app.page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await expect(app.page.getByRole("button", { name: "Share project" })).toHaveCount(0);
});
