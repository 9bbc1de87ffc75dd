// SPDX-License-Identifier: MIT
// page-lab.js: the journal live with filters, a wait tester, faults, reset, fixtures export and
// import, recording on/off.
import { h, field, table, section, button, act, fmtTime, jsonBlock, download, toast } from './ui.js';
import { admin, live } from './api.js';
import { onLeave } from './app.js';

const MAX_ROWS = 300;

export default async function lab() {
  // journal
  const kindIn = h('input', { placeholder: 'mqtt. or http.request', autocomplete: 'off' });
  const deviceIn = h('input', { autocomplete: 'off' });
  const topicIn = h('input', { placeholder: 'prod/+/m/#', autocomplete: 'off' });
  const rows = h('tbody');
  const state = h('span.badge#journal-state', 'connecting');
  const pause = h('input', { type: 'checkbox', id: 'journal-pause' });
  let stop = () => {};
  function row(r) {
    const payload = r.payload == null ? '' : (typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload));
    return h('tr', h('td', { 'data-label': 'Seq' }, String(r.seq)), h('td', { 'data-label': 'Time' }, fmtTime(r.ts)),
      h('td', { 'data-label': 'Kind' }, r.kind), h('td', { 'data-label': 'Device' }, r.device || ''),
      h('td', { 'data-label': 'Topic' }, h('code', r.topic || '')), h('td', { 'data-label': 'Status' }, r.status == null ? '' : String(r.status)),
      h('td.payload', { 'data-label': 'Payload' }, r.reason ? `${r.reason} ` : '', payload.length > 300 ? `${payload.slice(0, 300)}…` : payload));
  }
  function follow() {
    stop();
    rows.replaceChildren();
    stop = live({ kind: kindIn.value.trim(), device: deviceIn.value.trim(), topic: topicIn.value.trim(), tail: 100 }, (r) => {
      if (pause.checked) return;
      rows.prepend(row(r));
      while (rows.children.length > MAX_ROWS) rows.lastChild.remove();
    }, (ok) => { state.textContent = ok ? 'live' : 'reconnecting'; state.className = ok ? 'badge ok' : 'badge'; });
  }
  onLeave(() => stop());
  const filters = h('form.filters#journal-filters', { on: { submit: (e) => { e.preventDefault(); follow(); } } },
    field('Kind', kindIn), field('Device', deviceIn), field('Topic filter', topicIn),
    h('div.field', h('button', { type: 'submit' }, 'Apply filters')),
    h('div.field.check', pause, h('label', { for: 'journal-pause' }, 'Pause')));
  const journal = h('div.scroll', h('table#journal', h('caption', 'Newest first; ', state),
    h('thead', h('tr', ['Seq', 'Time', 'Kind', 'Device', 'Topic', 'Status', 'Payload'].map((c) => h('th', { scope: 'col' }, c)))), rows));

  // wait tester
  const waitIn = h('textarea.code#wait-body', { rows: 4, spellcheck: 'false' }, '{"kind": "mqtt.publish", "timeout_ms": 10000}');
  const waitOut = h('div#wait-result', { 'aria-live': 'polite' });
  const waitForm = h('form', {
    on: {
      submit: (e) => {
        e.preventDefault();
        let body;
        try { body = JSON.parse(waitIn.value); } catch (x) { toast(`Not JSON: ${x.message}`, true); return; }
        waitOut.replaceChildren(h('p', 'Waiting…'));
        admin('POST', '/wait', body).then((r) => waitOut.replaceChildren(h('p', 'Matched:'), jsonBlock(r.record, 'matching record')))
          .catch((x) => waitOut.replaceChildren(h('p.error', x.message), x.body && x.body.nearMisses ? jsonBlock(x.body.nearMisses, 'near misses') : ''));
      },
    },
  }, field('Pattern (POST /mock/v1/wait body)', waitIn), h('button', { type: 'submit' }, 'Wait'));

  // faults
  const faultsBox = h('div#faults');
  async function loadFaults() {
    const f = await admin('GET', '/faults');
    const items = f.items || f.faults || (Array.isArray(f) ? f : []);
    faultsBox.replaceChildren(table(`${items.length} active faults`, [
      { label: 'ID', cell: (x) => String(x.id) }, { label: 'Action', cell: (x) => x.action },
      { label: 'Match', cell: (x) => JSON.stringify(x.match || {}) }, { label: 'Count left', cell: (x) => String(x.count) },
      { label: 'Details', cell: (x) => { const { id, action, match, count, ...rest } = x; return JSON.stringify(rest); } }], items, { empty: 'No faults.' }));
  }
  const faultIn = h('textarea.code#fault-body', { rows: 3, spellcheck: 'false' }, '{"action": "rest_status", "match": {"route": "GET /v1/devices"}, "status": 503, "count": 1}');
  const faultForm = h('form', {
    on: {
      submit: (e) => {
        e.preventDefault();
        act(async () => { await admin('POST', '/faults', JSON.parse(faultIn.value)); await loadFaults(); }, 'Fault added');
      },
    },
  }, field('Fault (POST /mock/v1/faults body)', faultIn), h('div.actions', h('button', { type: 'submit' }, 'Add fault'),
    button('Clear all faults', () => act(async () => { await admin('DELETE', '/faults'); await loadFaults(); }, 'Faults cleared'), '.danger')));

  // reset, fixtures, record
  const keep = h('input', { type: 'checkbox', id: 'reset-keep' });
  const fixIn = h('input', { type: 'file', accept: '.json,application/json' });
  const rec = await admin('GET', '/record');
  const recToggle = h('input#record-toggle', { type: 'checkbox', role: 'switch' });
  recToggle.checked = rec.on;
  const recPath = h('span#record-path', rec.path || '(none yet)');
  recToggle.addEventListener('change', () => act(async () => {
    const r = await admin('PUT', '/record', { on: recToggle.checked });
    recToggle.checked = r.on;
    recPath.textContent = r.path || '(none yet)';
  }, recToggle.checked ? 'Recording' : 'Recording paused'));

  await loadFaults();
  follow();
  return h('div', h('h1', 'Lab'),
    section('Journal', filters, journal),
    section('Wait tester', waitForm, waitOut),
    section('Faults', faultsBox, faultForm),
    section('Record', h('div.field.check', recToggle, h('label', { for: 'record-toggle' }, 'Record the journal to a file')),
      h('p', 'File: ', recPath)),
    section('Fixtures',
      h('p', 'Export the current world (team, devices, firmware, location) as one JSON document, or import one.'),
      h('div.actions',
        button('Export fixtures', () => act(async () => {
          const doc = await admin('GET', '/fixtures');
          download('nrfcloud-mock-fixtures.json', JSON.stringify(doc, null, 2));
        })),
        field('Import fixtures file', fixIn),
        button('Import', () => act(async () => {
          const f = fixIn.files[0];
          if (!f) throw new Error('choose a fixtures file first');
          await admin('PUT', '/fixtures', await f.text(), 'application/json');
        }, 'Fixtures imported')))),
    section('Reset',
      h('p', 'Back to the fixtures: devices, shadows, messages, jobs and the journal are emptied.'),
      h('div.field.check', keep, h('label', { for: 'reset-keep' }, 'Keep devices')),
      button('Reset', () => {
        if (confirm('Reset the server to its fixtures?')) {
          act(async () => { await admin('POST', `/reset${keep.checked ? '?keep=devices' : ''}`); follow(); await loadFaults(); }, 'Reset done');
        }
      }, '.danger')));
}
