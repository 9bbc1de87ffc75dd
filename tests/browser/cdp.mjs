// SPDX-License-Identifier: MIT
// cdp.mjs: a small Chrome DevTools Protocol client over --remote-debugging-pipe (Chromium reads
// commands on fd 3 and writes answers and events on fd 4, each a JSON text ended by NUL), so the
// browser tests need neither a WebSocket client nor an npm package.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function launch(executable) {
  const profile = mkdtempSync(join(tmpdir(), 'ncm-chromium-'));
  const proc = spawn(executable, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', '--disable-sync', '--mute-audio',
    '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const browser = new Browser(proc, proc.stdio[3], proc.stdio[4]);
  browser.profile = profile;
  browser.stderr = () => stderr;
  await browser.send('Browser.getVersion');
  return browser;
}

class Browser {
  constructor(proc, out, inp) {
    this.proc = proc;
    this.out = out;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    let buf = Buffer.alloc(0);
    inp.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let end;
      while ((end = buf.indexOf(0)) >= 0) {
        const msg = JSON.parse(buf.subarray(0, end).toString('utf8'));
        buf = buf.subarray(end + 1);
        this.dispatch(msg);
      }
    });
    proc.on('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`chromium exited (${code})`));
      this.pending.clear();
    });
  }

  dispatch(msg) {
    if (msg.id && this.pending.has(msg.id)) {
      const { resolve, reject, method } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
      else resolve(msg.result);
      return;
    }
    for (const l of this.listeners) l(msg);
  }

  send(method, params = {}, sessionId) {
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(`${JSON.stringify(msg)}\0`);
    });
  }

  // A new tab, attached in flat mode; its commands carry the session ID.
  async newPage() {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    return page;
  }

  async close() {
    const exited = this.proc.exitCode !== null ? Promise.resolve()
      : new Promise((r) => this.proc.once('exit', r));
    try { await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]); } catch { /* gone */ }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await exited;
    }
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 3 });
  }
}

class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    this.errors = [];
    browser.listeners.push((msg) => {
      if (msg.sessionId !== sessionId) return;
      // confirm() and prompt() are answered as a user who clicks OK does
      if (msg.method === 'Page.javascriptDialogOpening') {
        this.send('Page.handleJavaScriptDialog', { accept: true, promptText: this.promptText || msg.params.defaultPrompt || '' }).catch(() => {});
      }
      if (msg.method === 'Runtime.exceptionThrown') this.errors.push(msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text);
      if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') this.errors.push(msg.params.args.map((a) => a.value ?? a.description).join(' '));
    });
  }

  send(method, params) {
    return this.browser.send(method, params, this.sessionId);
  }

  // Runs an expression (a promise is awaited) in the page; its value, or throws its exception.
  async eval(expression) {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in page: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
  }

  // Resolves when the expression is truthy: checked at once and on every DOM change, so the
  // test waits on the page's own events. Fails with what it waited for after timeoutMs.
  async waitFor(expression, what, timeoutMs = 15000) {
    const ok = await this.eval(`new Promise((resolve) => {
      const test = () => { try { return !!(${expression}); } catch { return false; } };
      if (test()) return resolve(true);
      const obs = new MutationObserver(() => { if (test()) { obs.disconnect(); clearTimeout(t); resolve(true); } });
      obs.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      const t = setTimeout(() => { obs.disconnect(); resolve(test()); }, ${timeoutMs});
    })`);
    if (!ok) throw new Error(`timed out waiting for ${what}`);
  }

  async goto(url) {
    const loaded = new Promise((resolve) => {
      const l = (msg) => {
        if (msg.sessionId === this.sessionId && msg.method === 'Page.loadEventFired') {
          this.browser.listeners.splice(this.browser.listeners.indexOf(l), 1);
          resolve();
        }
      };
      this.browser.listeners.push(l);
    });
    await this.send('Page.navigate', { url });
    await loaded;
  }

  async viewport(width, height, dark = false) {
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: width < 600 });
    await this.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: dark ? 'dark' : 'light' }] });
  }

  // The whole page (up to 4000 px high), or with {scale} one screen from y scaled.
  async screenshot(opts = {}) {
    const m = await this.send('Page.getLayoutMetrics');
    const s = m.cssContentSize || m.contentSize;
    const v = m.cssLayoutViewport || m.layoutViewport;
    const clip = opts.scale
      ? { x: 0, y: opts.y || 0, width: v.clientWidth, height: v.clientHeight, scale: opts.scale }
      : { x: 0, y: 0, width: Math.ceil(s.width), height: Math.min(Math.ceil(s.height), 4000), scale: 1 };
    const r = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip });
    return Buffer.from(r.data, 'base64');
  }

  // Puts a file into an <input type=file> (the selector must name one).
  async setFile(selector, path) {
    const r = await this.send('Runtime.evaluate', { expression: `document.querySelector(${JSON.stringify(selector)})` });
    await this.send('DOM.enable');
    await this.send('DOM.setFileInputFiles', { files: [path], objectId: r.result.objectId });
    await this.eval(`document.querySelector(${JSON.stringify(selector)}).dispatchEvent(new Event('change', {bubbles: true}))`);
  }

  // Types into a field (value set, then an input event, as a user's typing ends).
  async type(selector, text) {
    await this.eval(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) throw new Error('no ' + ${JSON.stringify(selector)}); e.focus(); e.value = ${JSON.stringify(text)};
      e.dispatchEvent(new Event('input', {bubbles: true})); })()`);
  }

  async click(selector) {
    await this.eval(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) throw new Error('no ' + ${JSON.stringify(selector)}); e.click(); })()`);
  }
}
