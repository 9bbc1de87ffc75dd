// SPDX-License-Identifier: MIT
// api.js: the admin API and the REST API (through /mock/v1/rest, as the team's API key), with
// the admin token when the server has one; and live journal events (server-sent events).

const TOKEN_KEY = 'nrfcloud-mock-admin-token';

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? `${status}: ${body.message}` : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const hd = { ...extra };
  if (token()) hd.Authorization = `Bearer ${token()}`;
  return hd;
}

// fetch + JSON; body: an object (sent as JSON), a string, or a Blob/ArrayBuffer (sent as is).
export async function call(method, path, body, contentType) {
  const used = token();
  const opts = { method, headers: headers() };
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof ArrayBuffer || typeof body === 'string') {
      opts.body = body;
      opts.headers['Content-Type'] = contentType || 'application/octet-stream';
    } else {
      opts.body = JSON.stringify(body);
      opts.headers['Content-Type'] = 'application/json';
    }
  }
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = text;
  if ((r.headers.get('Content-Type') || '').includes('json') && text) {
    try { data = JSON.parse(text); } catch { /* keep the text */ }
  }
  // a 401 asks for the token, unless the token changed since this request was sent
  if (r.status === 401 && used === token()) window.dispatchEvent(new CustomEvent('ncm-unauthorized'));
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

export const admin = (method, path, body, ct) => call(method, `/mock/v1${path}`, body, ct);
export const rest = (method, path, body, ct) => call(method, `/mock/v1/rest/v1${path}`, body, ct);
export const enc = encodeURIComponent;

// Follows /mock/v1/events (text/event-stream answers that end; each reconnect carries the last
// event ID) and calls onRecord for each journal record. Returns a stop function.
export function live(params, onRecord, onState) {
  let stopped = false;
  let after = params.after || 0;
  let ctrl = null;
  const q = new URLSearchParams();
  for (const k of ['kind', 'device', 'topic']) if (params[k]) q.set(k, params[k]);
  let tail = params.tail || 0;
  let first = true; // the first request answers at once, so the view knows it is connected

  async function loop() {
    while (!stopped) {
      ctrl = new AbortController();
      const url = new URLSearchParams(q);
      if (tail) url.set('tail', tail);
      if (first) url.set('wait', '0');
      try {
        const r = await fetch(`/mock/v1/events?${url}`, {
          headers: headers({ 'Last-Event-ID': String(after), Accept: 'text/event-stream' }),
          signal: ctrl.signal,
        });
        if (!r.ok) throw new ApiError(r.status, null);
        if (onState) onState(true);
        const text = await r.text();
        tail = 0;
        first = false;
        for (const block of text.split('\n\n')) {
          let id = null; let data = null;
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = Number(line.slice(4));
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data == null) continue;
          if (id != null) after = Math.max(after, id);
          try { onRecord(JSON.parse(data)); } catch (e) { console.error(e); }
        }
      } catch (e) {
        if (stopped) return;
        if (onState) onState(false);
        await new Promise((res) => setTimeout(res, 2000));
      }
    }
  }
  loop();
  return () => { stopped = true; if (ctrl) ctrl.abort(); };
}
