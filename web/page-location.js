// SPDX-License-Identifier: MIT
// page-location.js: what the location services answer from (cells, Wi-Fi access points,
// anchors), request counts and the team's location history.
import { h, field, table, section, button, act, fmtTime, jsonBlock } from './ui.js';
import { admin, rest } from './api.js';

export default async function location() {
  const box = h('div');
  const statsBox = h('div#loc-stats');
  const histBox = h('div#loc-history');

  async function load() {
    const doc = await admin('GET', '/location');
    const del = (what, key) => async () => {
      // no per-entry delete in the admin API: empty the family and put back the others
      if (what === 'cells') {
        const keep = doc.cells.filter((c) => `${c.mcc}/${c.mnc}/${c.tac}/${c.eci}` !== key);
        await admin('DELETE', '/location/cells');
        if (keep.length) await admin('PUT', '/location/cells', { cells: keep });
      } else {
        const keepW = doc.wifi.filter((w) => w.macAddress !== key);
        const keepA = doc.anchors.filter((w) => w.macAddress !== key);
        await admin('DELETE', '/location/wifi');
        if (keepW.length || keepA.length) await admin('PUT', '/location/wifi', { wifi: keepW, anchors: keepA });
      }
      await load();
    };
    const pos = (e) => `${Number(e.lat).toFixed(5)}, ${Number(e.lon).toFixed(5)}`;
    box.replaceChildren(
      table(`Cells (${doc.cells.length})`, [
        { label: 'MCC/MNC', cell: (c) => `${c.mcc}/${c.mnc}` }, { label: 'TAC', cell: (c) => c.tac }, { label: 'ECI', cell: (c) => c.eci },
        { label: 'Position', cell: pos }, { label: 'Uncertainty', cell: (c) => `${c.uncertainty} m` },
        { label: 'Actions', cell: (c) => h('div.actions', button('Edit', () => edit('cells', c), '.small'),
          button('Delete', () => act(del('cells', `${c.mcc}/${c.mnc}/${c.tac}/${c.eci}`), 'Cell deleted'), '.small.danger')) }],
      doc.cells, { attrs: { id: 'cells' } }),
      table(`Wi-Fi access points (${doc.wifi.length}) and anchors (${doc.anchors.length})`, [
        { label: 'MAC', cell: (w) => h('code', w.macAddress) }, { label: 'Anchor', cell: (w) => w.name || '' },
        { label: 'Position', cell: pos }, { label: 'Uncertainty', cell: (w) => `${w.uncertainty} m` },
        { label: 'Actions', cell: (w) => h('div.actions', button('Edit', () => edit('wifi', w), '.small'),
          button('Delete', () => act(del('wifi', w.macAddress), 'Access point deleted'), '.small.danger')) }],
      [...doc.wifi, ...doc.anchors], { attrs: { id: 'wifi' } }));
    statsBox.replaceChildren(jsonBlock(doc.stats || {}, 'Request counts'));
  }

  const kindSel = h('select', h('option', { value: 'cells' }, 'Cell'), h('option', { value: 'wifi' }, 'Wi-Fi access point or anchor'));
  const entryIn = h('textarea.code#loc-entry', { rows: 4, spellcheck: 'false' },
    '{"mcc": 242, "mnc": 1, "tac": 3003, "eci": 12345, "lat": 63.43, "lon": 10.39, "uncertainty": 500}');
  function edit(kind, e) {
    kindSel.value = kind;
    entryIn.value = JSON.stringify(e);
    entryIn.focus();
  }
  const form = h('form#loc-form', {
    on: {
      submit: (ev) => {
        ev.preventDefault();
        act(async () => {
          let e;
          try { e = JSON.parse(entryIn.value); } catch (x) { throw new Error(`Not JSON: ${x.message}`); }
          await admin('PUT', `/location/${kindSel.value}`, [e]);
          await load();
        }, 'Saved (an entry with the same key is replaced)');
      },
    },
  }, field('Kind', kindSel), field('Entry (JSON; a Wi-Fi entry with "name" is an anchor)', entryIn), h('button', { type: 'submit' }, 'Add or replace'));

  async function history() {
    const r = await rest('GET', '/location/history?pageLimit=50');
    histBox.replaceChildren(table(`${r.items.length} newest fixes`, [
      { label: 'Time', cell: (f) => fmtTime(f.insertedAt) }, { label: 'Device', cell: (f) => h('a', { href: `#/devices/${encodeURIComponent(f.deviceId)}` }, f.deviceId) },
      { label: 'Service', cell: (f) => f.serviceType }, { label: 'Position', cell: (f) => `${Number(f.lat).toFixed(5)}, ${Number(f.lon).toFixed(5)}` },
      { label: 'Uncertainty', cell: (f) => `${f.uncertainty} m` }], r.items, { empty: 'No location requests yet.' }));
  }
  await Promise.all([load(), history()]);
  return h('div', h('h1', 'Location'),
    section('Answers', box, h('h3', 'Add or edit'), form),
    section('Request counts', statsBox, button('Refresh', () => act(load), '.small')),
    section('History', histBox, button('Refresh', () => act(history), '.small')));
}
