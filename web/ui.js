// SPDX-License-Identifier: MIT
// ui.js: small DOM helpers shared by the pages (no framework, no build step).

// h('tag.class#id', {attrs, on: {event: fn}}, ...children): an element; strings become text.
export function h(spec, attrs, ...children) {
  const m = spec.match(/^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i);
  const el = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
// A labelled form control: label text, then the control (input by default).
export function field(label, control) {
  const id = control.id || `f${++uid}`;
  control.id = id;
  return h('div.field', h('label', { for: id }, label), control);
}

export function table(caption, columns, rows, opts = {}) {
  const t = h('table', opts.attrs || {},
    caption ? h('caption', caption) : null,
    h('thead', h('tr', columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', rows.length ? rows.map((r) => h('tr', opts.rowAttrs ? opts.rowAttrs(r) : {},
      columns.map((c) => h('td', { 'data-label': c.label }, c.cell(r)))))
      : h('tr', h('td.empty', { colspan: columns.length }, opts.empty || 'Nothing yet.'))));
  return h('div.scroll', t);
}

export function toast(msg, bad = false) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.className = bad ? 'show bad' : 'show';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = ''; }, 4000);
}

export function fmtTime(v) {
  if (v == null || v === 0 || v === '') return '—';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(2)} MiB`;
}

export function pretty(v) {
  return JSON.stringify(v, null, 2);
}

// A <pre> with JSON, copyable.
export function jsonBlock(v, label) {
  return h('pre.json', { tabindex: '0', 'aria-label': label || 'JSON' }, pretty(v));
}

export function button(text, onclick, cls = '') {
  return h(`button${cls}`, { type: 'button', on: { click: onclick } }, text);
}

// Runs an async action from a button, shows its error as a toast.
export async function act(fn, okMsg) {
  try {
    const r = await fn();
    if (okMsg) toast(okMsg);
    return r;
  } catch (e) {
    toast(e.message || String(e), true);
    return undefined;
  }
}

export function download(name, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function section(title, ...children) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section.card', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}
