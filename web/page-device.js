// SPDX-License-Identifier: MIT
// page-device.js: one device: shadow, desired editor (PATCH /v1/devices/{id}/state, as a REST
// client sends it), messages live, a chart per appId, location fixes, FOTA executions, data usage.
import { h, field, table, section, button, act, fmtTime, fmtBytes, jsonBlock, toast } from './ui.js';
import { admin, rest, enc, live } from './api.js';
import { onLeave } from './app.js';
import { drawChart, numericOf } from './chart.js';
import { drawFixes } from './map.js';
import { connected } from './page-devices.js';

const MAX_MESSAGES = 200;

function shadowView(sh) {
  const st = sh.state || {};
  const block = (name, v) => h('div.shadow-part', h('h3', name), jsonBlock(v || {}, `${name} state`));
  return h('div',
    h('p', 'Version ', h('strong#shadow-version', String(sh.version ?? '—')), sh.timestamp ? ` · updated ${fmtTime(sh.timestamp * 1000)}` : ''),
    h('div.shadow-grid#shadow', block('Desired', st.desired), block('Reported', st.reported), block('Delta', st.delta)),
    h('details', h('summary', 'Metadata'), jsonBlock(sh.metadata || {}, 'metadata')));
}

function usageView(u) {
  const kinds = [['mqttPayload', 'MQTT payload'], ['mqttWire', 'MQTT on the wire'], ['https', 'HTTPS'], ['firmware', 'Firmware downloads']];
  const cols = [{ label: 'Day', cell: (d) => d.day }];
  for (const [k, label] of kinds) {
    cols.push({ label: `${label} in`, cell: (d) => fmtBytes(d[k].in) });
    cols.push({ label: `${label} out`, cell: (d) => fmtBytes(d[k].out) });
  }
  return table('Bytes per day (in: device to cloud; out: cloud to device)', cols, u.days,
    { empty: 'No traffic counted since the server started.', attrs: { id: 'usage-table' } });
}

export default async function device(id) {
  const [info, adm, sh] = await Promise.all([
    rest('GET', `/devices/${enc(id)}`), admin('GET', `/devices/${enc(id)}`), admin('GET', `/devices/${enc(id)}/shadow`)]);
  const shadowBox = h('div', shadowView(sh));

  // desired editor
  const editor = h('textarea.code#desired-editor', { rows: 8, spellcheck: 'false', 'aria-describedby': 'desired-help desired-error' },
    JSON.stringify({ config: (sh.state.desired || {}).config || {} }, null, 2));
  const err = h('p.error#desired-error', { 'aria-live': 'polite' });
  const send = h('button', { type: 'submit' }, 'Send desired');
  function validate() {
    try {
      const v = JSON.parse(editor.value);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the desired state must be a JSON object');
      err.textContent = '';
      editor.removeAttribute('aria-invalid');
      send.disabled = false;
      return v;
    } catch (e) {
      err.textContent = `Not valid: ${e.message}`;
      editor.setAttribute('aria-invalid', 'true');
      send.disabled = true;
      return null;
    }
  }
  editor.addEventListener('input', validate);
  let shownVersion = sh.version ?? -1;
  // answers can cross: never replace a newer shadow with an older one
  async function refreshShadow() {
    const s = await admin('GET', `/devices/${enc(id)}/shadow`);
    if ((s.version ?? 0) < shownVersion) return;
    shownVersion = s.version ?? 0;
    shadowBox.replaceChildren(shadowView(s));
  }
  // a live record can come before the change is committed: look now and once more shortly
  let again = null;
  function shadowChanged() {
    refreshShadow().catch(() => {});
    clearTimeout(again);
    again = setTimeout(() => refreshShadow().catch(() => {}), 500);
  }
  onLeave(() => clearTimeout(again));
  const form = h('form', {
    on: {
      submit: (e) => {
        e.preventDefault();
        const v = validate();
        if (!v) return;
        act(async () => {
          await rest('PATCH', `/devices/${enc(id)}/state`, { desired: v });
          await refreshShadow();
        }, 'Desired state sent');
      },
    },
  }, field('Desired (merged into the shadow; null deletes a key)', editor),
  h('p.help#desired-help', 'Sent as PATCH /v1/devices/{id}/state {"desired": …}, as a REST client does; the device gets the delta.'),
  err, send);

  // messages, live
  const msgs = [];
  const msgList = h('ol.messages#messages', { 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const canvas = h('canvas.chart#chart', { role: 'img', 'aria-label': 'Numeric message data over time, one line per appId' });
  const legend = h('ul.legend#legend');
  function addMessage(m, atTop) {
    msgs[atTop ? 'unshift' : 'push'](m);
    if (msgs.length > MAX_MESSAGES) msgs.pop();
    const li = h('li', h('time', fmtTime(m.time)), ' ', h('code', m.topic.split('/').slice(-2).join('/')), ' ',
      h('span.msg', typeof m.message === 'string' ? m.message : JSON.stringify(m.message)));
    if (atTop) msgList.prepend(li); else msgList.append(li);
    while (msgList.children.length > MAX_MESSAGES) msgList.lastChild.remove();
  }
  function redrawChart() {
    const series = new Map();
    // msgs is newest first; oldest first here, so that the chart's stable sort by time keeps
    // the order of messages received within one millisecond
    for (const m of [...msgs].reverse()) {
      const v = numericOf(m.message);
      if (v == null) continue;
      const name = m.message.appId;
      if (!series.has(name)) series.set(name, []);
      series.get(name).push({ t: m.time, v });
    }
    const lg = drawChart(canvas, series);
    legend.replaceChildren(...lg.map((l) => h('li', h('span.swatch', { 'data-colour': l.colour }), `${l.name}: ${l.last} (min ${l.lo}, max ${l.hi}, ${l.n} points)`)));
    for (const s of legend.querySelectorAll('.swatch')) s.style.background = s.dataset.colour;
  }
  const hist = await rest('GET', `/messages?deviceId=${enc(id)}&pageLimit=100&sortOrder=desc`).catch(() => ({ items: [] }));
  for (const m of hist.items) addMessage({ time: Date.parse(m.receivedAt), topic: m.topic, message: m.message }, false);
  const liveState = h('span.badge#live-state', 'connecting');
  const stop = live({ device: id, kind: 'mqtt.publish', tail: 0, after: await lastSeq() }, (rec) => {
    let message = rec.payload;
    try { message = JSON.parse(rec.payload); } catch { /* text */ }
    addMessage({ time: rec.ts, topic: rec.topic || '', message }, true);
    redrawChart();
    if ((rec.topic || '').includes('/shadow/')) shadowChanged();
  }, (ok) => { liveState.textContent = ok ? 'live' : 'reconnecting'; liveState.className = ok ? 'badge ok' : 'badge'; });
  onLeave(stop);
  // the shadow follows reported-state updates and deltas
  const stopShadow = live({ device: id, kind: 'mqtt.send', after: await lastSeq() }, (rec) => {
    if ((rec.topic || '').includes('/shadow/')) shadowChanged();
  });
  onLeave(stopShadow);

  // location fixes
  const mapCanvas = h('canvas.map#map', { role: 'img', 'aria-label': 'Location fixes with uncertainty circles' });
  const loc = await rest('GET', `/location/history?deviceId=${enc(id)}&pageLimit=100`).catch(() => ({ items: [] }));
  const fixes = loc.items.map((f) => ({ lat: Number(f.lat), lon: Number(f.lon), uncertainty: Number(f.uncertainty), serviceType: f.serviceType, time: f.insertedAt }));

  const fota = await rest('GET', `/fota-job-executions/${enc(id)}`).catch(() => ({ items: [] }));
  const usage = await admin('GET', `/usage?device=${enc(id)}`);

  const view = h('div',
    h('p.crumbs', h('a', { href: '#/devices' }, 'Devices'), ' / ', id),
    h('h1', info.name || id, ' ', connected(adm) ? h('span.badge.ok', 'connected') : h('span.badge', 'disconnected')),
    h('dl.kv', h('dt', 'Device ID'), h('dd', h('code', id)), h('dt', 'Generation'), h('dd', info.subType || info.type || '—'),
      h('dt', 'Tags'), h('dd', (info.tags || []).join(', ') || '—'), h('dt', 'Onboarded by'), h('dd', adm.onboardedBy || '—'),
      h('dt', 'Last connect'), h('dd', fmtTime(adm.lastConnectAt)), h('dt', 'Last disconnect'), h('dd', fmtTime(adm.lastDisconnectAt))),
    section('Shadow', shadowBox, button('Refresh', () => act(refreshShadow), '.small')),
    section('Edit desired state', form),
    section('Messages', h('p', 'Device-to-cloud messages, newest first; ', liveState), msgList),
    section('Data over time', canvas, legend),
    section('Location', mapCanvas, table('Fixes', [
      { label: 'Time', cell: (f) => fmtTime(f.time) }, { label: 'Service', cell: (f) => f.serviceType },
      { label: 'Latitude', cell: (f) => f.lat.toFixed(6) }, { label: 'Longitude', cell: (f) => f.lon.toFixed(6) },
      { label: 'Uncertainty', cell: (f) => `${Math.round(f.uncertainty)} m` }], fixes.slice(0, 20), { empty: 'No fixes.', attrs: { id: 'fixes' } })),
    section('FOTA executions', table(null, [
      { label: 'Job', cell: (x) => h('code', x.jobId) }, { label: 'Status', cell: (x) => x.status },
      { label: 'Firmware', cell: (x) => x.bundleId || (x.firmware && x.firmware.bundleId) || '—' },
      { label: 'Updated', cell: (x) => fmtTime(x.lastUpdatedAt || x.updatedAt) }], fota.items || [], { empty: 'No FOTA executions.' })),
    section('Data usage', usageView(usage), button('Refresh', () => act(async () => {
      const u = await admin('GET', `/usage?device=${enc(id)}`);
      document.getElementById('usage-table').closest('.scroll').replaceWith(usageView(u));
    }), '.small')));
  requestAnimationFrame(() => { redrawChart(); drawFixes(mapCanvas, fixes); });
  const onResize = () => { redrawChart(); drawFixes(mapCanvas, fixes); };
  window.addEventListener('resize', onResize);
  onLeave(() => window.removeEventListener('resize', onResize));
  toast.last = null;
  return view;
}

// The newest journal seq, so live views start from now (history comes from the REST API).
export async function lastSeq() {
  const r = await admin('GET', '/events?tail=1&wait=0').catch(() => null);
  return 0 + (r ? seqOf(r) : 0);
}

function seqOf(text) {
  const m = typeof text === 'string' ? [...text.matchAll(/^id: (\d+)$/gm)] : [];
  return m.length ? Number(m[m.length - 1][1]) : 0;
}
