import { type Message, SEARCH_LIMIT_DEFAULT, type SearchHit } from "@tandem/shared";
import { projectsCollection } from "../../collections/projects.ts";
import { scanMessages } from "../../lib/replica.ts";
import { parseMessage } from "../../lib/snapshots.ts";
import { matchText, searchTerms } from "../../lib/text-search.ts";

/** How many saved matches are ranked at most: a search offline stays quick on a large replica. */
const MOST_MATCHES = 2000;

/**
 * Offline search: the projects this browser knows and the messages its replica holds,
 * in the server's order (project names first, then by how often the words occur, then
 * newest first). `undefined`: the search has no words to look for.
 */
export async function searchSaved(q: string, limit = SEARCH_LIMIT_DEFAULT): Promise<SearchHit[] | undefined> {
  const terms = searchTerms(q);
  if (terms.length === 0) return undefined;
  const projects = new Map(projectsCollection.toArray.map((project) => [project.id, project]));

  const projectHits = [...projects.values()].flatMap((project) => {
    const match = matchText(project.name, terms);
    return match
      ? [{ score: match.score, hit: projectHit(project.id, project.name, project.createdAt, match.snippet) }]
      : [];
  });

  const messageHits: Array<{ score: number; hit: SearchHit }> = [];
  await scanMessages((row) => {
    const message = parseMessage(row);
    const project = message && projects.get(message.projectId);
    const match = message && project && matchText(message.content, terms);
    if (message && project && match)
      messageHits.push({ score: match.score, hit: messageHit(message, project.name, match.snippet) });
    return messageHits.length < MOST_MATCHES;
  });

  const ranked = (hits: Array<{ score: number; hit: SearchHit }>) =>
    hits
      .sort(
        (a, b) =>
          b.score - a.score ||
          (a.hit.createdAt < b.hit.createdAt ? 1 : a.hit.createdAt > b.hit.createdAt ? -1 : 0),
      )
      .map(({ hit }) => hit);
  return [...ranked(projectHits), ...ranked(messageHits)].slice(0, limit);
}

function projectHit(projectId: string, projectName: string, createdAt: string, snippet: string): SearchHit {
  return { kind: "project", projectId, projectName, messageId: null, role: null, createdAt, snippet };
}

function messageHit(message: Message, projectName: string, snippet: string): SearchHit {
  return {
    kind: "message",
    projectId: message.projectId,
    projectName,
    messageId: message.id,
    role: message.role,
    createdAt: message.createdAt,
    snippet,
  };
}
