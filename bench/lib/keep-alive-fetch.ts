import http from "node:http";

/**
 * A `fetch` for the typed client when the bench itself must stay cheap: plain `node:http`
 * requests on kept-alive sockets, the answer buffered into a `Response`. Node's own
 * `fetch` costs the bench 2–2.5× the CPU per request (measured: 730 against 300 µs per
 * POST, warm, on this machine), and a case that writes hundreds of messages a second
 * shares the two cores with the server it measures. Takes what `hono/client` sends: a
 * URL, a method, headers and a string body (or none).
 */
export function keepAliveFetch(maxSockets: number): typeof fetch {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      if (init?.body != null && typeof init.body !== "string") {
        reject(new TypeError("keepAliveFetch sends string bodies only"));
        return;
      }
      const url = input instanceof Request ? input.url : String(input);
      const headers: Record<string, string> = Object.fromEntries(new Headers(init?.headers).entries());
      const body = init?.body ?? undefined;
      if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
      const request = http.request(url, { method: init?.method ?? "GET", agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
              answer.append(name, one);
            }
          }
          const status = res.statusCode ?? 0;
          // A Response cannot carry a body with these statuses.
          const empty = status === 204 || status === 304 || init?.method === "HEAD";
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: answer }));
        });
      });
      request.on("error", reject);
      init?.signal?.addEventListener("abort", () => request.destroy(init.signal?.reason), { once: true });
      request.end(body);
    });
}
