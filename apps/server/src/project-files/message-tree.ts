import type { ErrorDetail } from "@tandem/shared";

/**
 * A project's messages form a tree: each has the message it follows (its parent), a first
 * message none. These are the tree's rules and walks, with no I/O, for the export (which
 * branch a transcript follows) and the import (is a file's tree whole).
 */
export interface TreeNode {
  id: string;
  parentId: string | null;
}

/**
 * What is wrong with a file's tree, by the path of the failing field (`messages.3.id`):
 * an id used twice, a parent that is no message of the file, a message that is its own
 * ancestor (a cycle). Empty when the tree is whole.
 */
export function treeProblems(nodes: readonly TreeNode[], path = "messages"): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const indexOf = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (indexOf.has(node.id)) {
      problems.push({ path: `${path}.${i}.id`, message: "is the id of another message of the file" });
    } else indexOf.set(node.id, i);
  });
  nodes.forEach((node, i) => {
    if (node.parentId !== null && !indexOf.has(node.parentId)) {
      problems.push({ path: `${path}.${i}.parentId`, message: "is not a message of the file" });
    }
  });
  if (problems.length > 0) return problems;

  // Walks up from each message; a walk that meets a message of its own path is a cycle.
  // Each message is walked once (`settled`), so this is linear in the file.
  const settled = new Set<string>();
  const inCycle = new Set<string>();
  for (const start of nodes) {
    const walk: string[] = [];
    const onWalk = new Set<string>();
    let at: string | null = start.id;
    while (at !== null && !settled.has(at)) {
      if (onWalk.has(at)) {
        for (const id of walk.slice(walk.indexOf(at))) inCycle.add(id);
        break;
      }
      onWalk.add(at);
      walk.push(at);
      at = nodes[indexOf.get(at) ?? -1]?.parentId ?? null;
    }
    for (const id of walk) settled.add(id);
  }
  nodes.forEach((node, i) => {
    if (inCycle.has(node.id)) {
      problems.push({
        path: `${path}.${i}.parentId`,
        message: "makes a cycle: the message would be its own ancestor",
      });
    }
  });
  return problems;
}

/**
 * The branch that ends at `leafId`, first message first: the leaf and its ancestors.
 * `nodes` must be a whole tree (see treeProblems) holding the leaf.
 */
export function branchEndingAt<T extends TreeNode>(nodes: readonly T[], leafId: string): T[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const branch: T[] = [];
  for (
    let node = byId.get(leafId);
    node;
    node = node.parentId === null ? undefined : byId.get(node.parentId)
  ) {
    branch.push(node);
  }
  return branch.reverse();
}

/**
 * The branch of the newest version at every turn: from the newest first message, each
 * time the newest of the messages that follow. `nodes` are oldest first, so "newest" is
 * the last one met.
 */
export function newestBranch<T extends TreeNode>(nodes: readonly T[]): T[] {
  const newestChild = new Map<string | null, T>();
  for (const node of nodes) newestChild.set(node.parentId, node);
  const branch: T[] = [];
  const seen = new Set<string>();
  for (let node = newestChild.get(null); node && !seen.has(node.id); node = newestChild.get(node.id)) {
    seen.add(node.id);
    branch.push(node);
  }
  return branch;
}
