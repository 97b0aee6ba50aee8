// The Chrome DevTools protocol over its WebSocket, without Playwright: for
// what Playwright would undo, such as a page that must really be hidden
// behind another tab (Playwright keeps the pages it drives visible).
import WebSocket from 'ws';

export class Cdp {
  // `url`: a target's webSocketDebuggerUrl (a page, or the browser).
  static async open(url) {
    const cdp = new Cdp(new WebSocket(url));
    await new Promise((resolve, reject) => {
      cdp.ws.once('open', resolve);
      cdp.ws.once('error', reject);
    });
    return cdp;
  }

  constructor(ws) {
    this.ws = ws;
    this.nextId = 0;
    this.pending = new Map();
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(`${p.method}: ${m.error.message}`));
      else p.resolve(m.result);
    });
  }

  send(method, params = {}) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  // The value of a JavaScript expression in the page (awaited if a promise).
  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  }

  close() {
    this.ws.close();
  }
}

// The DevTools targets of the Chromium at `devtools` (http://127.0.0.1:PORT):
// {browser: its webSocketDebuggerUrl, pages: [{id, url, webSocketDebuggerUrl}]}.
export async function targets(devtools) {
  const [version, list] = await Promise.all([
    fetch(`${devtools}/json/version`).then((r) => r.json()),
    fetch(`${devtools}/json/list`).then((r) => r.json()),
  ]);
  return { browser: version.webSocketDebuggerUrl, pages: list.filter((t) => t.type === 'page') };
}
