import { type SearchHit, snippetParts } from "@tandem/shared";
import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { navigate } from "wouter/use-browser-location";
import { ApiRequestError, describeError } from "../../lib/api.ts";
import { searchMessages } from "../../lib/search.ts";
import { goToMessage } from "../chat/go-to-message.ts";
import { readableSnippet } from "./readable-snippet.ts";
import { searchSaved } from "./search-saved.ts";

/**
 * A keystroke searches at once, unless the last search went out less than this long ago
 * (a pasted burst, a held key): then once this long after it. A newer search cancels the
 * one before, and only its answer is shown.
 */
const SEARCH_GAP_MS = 20;
const PAGE = 20;

type Results =
  | { q: string; hits: SearchHit[]; nextCursor: string | null; saved: boolean }
  | { q: string; note: string };

/** The server's search; offline (or unreachable), the messages saved in this browser. Undefined once cancelled. */
async function search(q: string, signal: AbortSignal): Promise<Results | undefined> {
  if (navigator.onLine) {
    try {
      const { hits, nextCursor } = await searchMessages(q, PAGE, { signal });
      return { q, hits, nextCursor, saved: false };
    } catch (error) {
      if (signal.aborted) return undefined;
      if (error instanceof ApiRequestError && error.status === 400) {
        return { q, note: "Type a word to search for: common words and symbols alone find nothing." };
      }
      if (!(error instanceof ApiRequestError && error.status === 0)) {
        return { q, note: `Couldn't search: ${describeError(error)}.` };
      }
    }
  }
  const hits = await searchSaved(q, PAGE);
  if (!hits) return { q, note: "Type a word to search for: common words and symbols alone find nothing." };
  return { q, hits, nextCursor: null, saved: true };
}

const roleLabels = { user: "You", assistant: "Assistant", system: "System" } as const;
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * Search across every project: results as the user types, a listbox the arrow keys
 * walk (the searchbox keeps focus; `aria-activedescendant` names the active option),
 * Enter or a click opens a hit: its message, however far back, or its project.
 */
export function SearchDialog({ onClose }: { onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<Results>();
  const [active, setActive] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);
  /** The newest search asked for: an older one's answer is dropped. */
  const latest = useRef(0);
  /** When the last search went out (performance.now()). */
  const lastSent = useRef(Number.NEGATIVE_INFINITY);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  useEffect(() => {
    const q = query.trim();
    const asked = ++latest.current;
    if (!q) {
      setResults(undefined);
      return;
    }
    const cancel = new AbortController();
    const run = () => {
      lastSent.current = performance.now();
      void search(q, cancel.signal).then((answer) => {
        if (!answer || asked !== latest.current) return;
        setResults(answer);
        setActive(0);
      });
    };
    const wait = lastSent.current + SEARCH_GAP_MS - performance.now();
    const timer = wait > 0 ? setTimeout(run, wait) : undefined;
    if (!timer) run();
    return () => {
      clearTimeout(timer);
      cancel.abort();
    };
  }, [query]);

  const hits = results && "hits" in results ? results.hits : [];

  useEffect(() => {
    list.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: "nearest" });
  }, [active]);

  const open = (hit: SearchHit) => {
    onClose();
    if (hit.messageId) void goToMessage(hit.projectId, hit.messageId, hit.createdAt);
    else navigate(`/projects/${hit.projectId}`);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (hits.length === 0) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((index) => Math.min(hits.length - 1, Math.max(0, index + step)));
    } else if (event.key === "Escape") {
      // A search field's own Escape would only clear it: it closes the dialog at once.
      event.preventDefault();
      dialog.current?.close();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const hit = hits[active];
      if (hit) open(hit);
    }
  };

  const loadMore = () => {
    if (!results || !("hits" in results) || !results.nextCursor || loadingMore) return;
    const asked = latest.current;
    setLoadingMore(true);
    searchMessages(results.q, PAGE, { cursor: results.nextCursor })
      .then((page) => {
        if (asked !== latest.current) return;
        setResults({ ...results, hits: [...results.hits, ...page.hits], nextCursor: page.nextCursor });
      })
      .catch((error: unknown) =>
        setResults({ q: results.q, note: `Couldn't search: ${describeError(error)}.` }),
      )
      .finally(() => setLoadingMore(false));
  };

  const activeHit = hits[active];
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop closes it; Escape does from the keyboard
    <dialog
      ref={dialog}
      aria-label="Search"
      className="dialog search-dialog"
      onClose={onClose}
      onClick={(event) => {
        if (event.target === dialog.current) dialog.current?.close();
      }}
    >
      <input
        type="search"
        className="search-input"
        aria-label="Search messages"
        placeholder="Search messages"
        aria-controls="search-results"
        aria-autocomplete="list"
        aria-activedescendant={activeHit ? `search-hit-${active}` : undefined}
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={onKeyDown}
        autoFocus
      />
      {results && "hits" in results && results.saved && (
        <p className="search-note" role="status">
          You're offline: these results are only from saved messages on this device.
        </p>
      )}
      {results && "note" in results && (
        <p className="search-note" role="status">
          {results.note}
        </p>
      )}
      {results && "hits" in results && hits.length === 0 && (
        <p className="search-empty" role="status">
          No results
        </p>
      )}
      <div ref={list} id="search-results" role="listbox" aria-label="Results" className="search-results">
        {hits.map((hit, index) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the searchbox handles the keys for the listbox
          <div
            key={`${hit.kind}:${hit.messageId ?? hit.projectId}`}
            id={`search-hit-${index}`}
            data-index={index}
            role="option"
            tabIndex={-1}
            aria-selected={index === active}
            className="search-hit"
            onClick={() => open(hit)}
            onMouseMove={() => setActive(index)}
          >
            <span className="search-hit-head">
              <span className="search-hit-project">{hit.projectName}</span>
              <span className="search-hit-meta">
                {hit.role ? roleLabels[hit.role] : "Project"} · {dateFormat.format(new Date(hit.createdAt))}
              </span>
            </span>
            <span className="search-hit-snippet">
              <Snippet snippet={hit.snippet} />
            </span>
          </div>
        ))}
      </div>
      {results && "hits" in results && results.nextCursor && (
        <button type="button" className="link" onClick={loadMore} disabled={loadingMore}>
          More results
        </button>
      )}
    </dialog>
  );
}

/**
 * A snippet's text and its marks: text nodes and `<mark>` elements, never HTML from the
 * server; without the Markdown syntax the message was written in.
 */
function Snippet({ snippet }: { snippet: string }) {
  return (
    <>
      {snippetParts(readableSnippet(snippet)).map((part, index) =>
        part.marked ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>,
      )}
    </>
  );
}
