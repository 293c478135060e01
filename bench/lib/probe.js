// Loaded into every benchmarked page before the app (Playwright addInitScript): it
// timestamps, with the page's own clock (performance.now()), what the cases measure:
// Enter in the composer, text reaching the DOM (MutationObserver), the chat stream's
// chunks as they arrive (a tee of the fetch body), change-feed events (EventSource) and
// long tasks. Plain JS: it runs as is in the page.
(() => {
  const bench = {
    /** performance.now() of each Enter pressed in the composer. */
    sends: [],
    /** Texts waited for, and when each was first in the DOM and first painted. */
    watched: new Set(),
    seen: {},
    painted: {},
    /** Per token index (`wordN` of the scripted model): when its delta arrived, when it was in the DOM. */
    tokenArrived: [],
    tokenShown: [],
    tokenMax: 0,
    /** Stored reply rows in the chat stream: { t, id, status }. */
    rows: [],
    /** Reply articles whose data-status changed: { t, status }. */
    statuses: [],
    /** Change-feed events: { t, data }. */
    events: [],
    longTasks: [],
    /**
     * Message rows the page fetched: { t, rows } per response of GET
     * /api/projects/:id/messages, t when the response arrived (so a count before a paint
     * errs on the high side). Counted only while window.name is "bench:count-rows" (a
     * reload keeps it): reading a copy of every body costs the page time that the other
     * cases measure. `countsPending`: copies still being read.
     */
    fetchedRows: [],
    countsPending: 0,
    watch(text) {
      this.watched.add(text);
      this.check(text, document.querySelector('[role="log"]')?.textContent ?? "");
    },
    resetTokens() {
      this.tokenArrived = [];
      this.tokenShown = [];
      this.tokenMax = 0;
    },
    check(text, content) {
      if (!content.includes(text)) return;
      const t = performance.now();
      this.watched.delete(text);
      this.seen[text] = t;
      // The frame that shows it: rAF runs before its paint, the timeout right after.
      requestAnimationFrame(() =>
        setTimeout(() => {
          this.painted[text] = performance.now();
        }, 0),
      );
    },
    clock() {
      return { now: performance.now(), origin: performance.timeOrigin };
    },
  };
  window.__bench = bench;

  window.addEventListener(
    "keydown",
    (event) => {
      if (event.key === "Enter" && !event.shiftKey && event.target?.tagName === "TEXTAREA") {
        bench.sends.push(performance.now());
      }
    },
    true,
  );

  const tokenIndex = (text) => {
    const at = text.lastIndexOf("word");
    return at < 0 ? 0 : Number.parseInt(text.slice(at + 4), 10) || 0;
  };

  new MutationObserver((records) => {
    const t = performance.now();
    for (const record of records) {
      if (record.type === "attributes") {
        const article = record.target;
        if (article.dataset.role === "assistant") bench.statuses.push({ t, status: article.dataset.status });
        continue;
      }
      const nodes = record.type === "characterData" ? [record.target] : [...record.addedNodes];
      for (const node of nodes) {
        const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
        // What the user types (the composer's textarea) is not a message on the page.
        if (element?.closest("form")) continue;
        if (bench.watched.size > 0) {
          const content = node.textContent ?? "";
          for (const text of [...bench.watched]) bench.check(text, content);
        }
        const reply = element?.closest('article[data-role="assistant"]');
        if (!reply) continue;
        const shown = tokenIndex(reply.textContent ?? "");
        for (let k = bench.tokenMax + 1; k <= shown; k++) bench.tokenShown[k] = t;
        if (shown > bench.tokenMax) bench.tokenMax = shown;
      }
    }
  }).observe(document, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ["data-status"],
  });

  async function readChatStream(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const t = performance.now();
      buffer += value;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("data: {")) continue;
        const chunk = JSON.parse(line.slice(6));
        if (chunk.type === "text-delta") {
          const k = tokenIndex(chunk.delta);
          if (k > 0 && bench.tokenArrived[k] === undefined) bench.tokenArrived[k] = t;
        } else if (chunk.type === "data-message" && chunk.data.role === "assistant") {
          bench.rows.push({ t, id: chunk.data.id, status: chunk.data.status });
        }
      }
    }
  }

  /** The rows in a list answer: the array itself, or the first array it holds. */
  const rowCount = (body) => {
    if (Array.isArray(body)) return body.length;
    const list = body && typeof body === "object" ? Object.values(body).find(Array.isArray) : undefined;
    return list ? list.length : 0;
  };

  const fetch = window.fetch;
  window.fetch = async (input, init) => {
    // A read counts from when the page asked for it: one asked for after the first paint
    // did not hold it up, whenever its answer lands.
    const asked = performance.now();
    const response = await fetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (window.name === "bench:count-rows" && /\/api\/projects\/[^/]+\/messages/.test(url) && response.ok) {
      const t = asked;
      bench.countsPending++;
      response
        .clone()
        .json()
        .then((body) => bench.fetchedRows.push({ t, rows: rowCount(body) }))
        .catch(() => {})
        .finally(() => bench.countsPending--);
    }
    if (!url.includes("/api/chat") || !response.body) return response;
    const [app, probe] = response.body.tee();
    readChatStream(probe).catch(() => {});
    return new Response(app, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  const NativeEventSource = window.EventSource;
  window.EventSource = class extends NativeEventSource {
    constructor(url, init) {
      super(url, init);
      // Added before the app's own listener, so it runs first.
      this.addEventListener("message", (event) =>
        bench.events.push({ t: performance.now(), data: event.data }),
      );
    }
  };

  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // No long-task timing in this browser.
  }
})();
